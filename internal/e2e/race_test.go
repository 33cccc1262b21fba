//go:build race

package e2e

// raceEnabled says this test binary was built with -race, so the nested
// modules' tests run under the race detector too.
const raceEnabled = true
