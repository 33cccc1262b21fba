//go:build !linux

package main

import (
	"os"
	"testing"
)

// makeReadOnly makes the file at path read-only until the test ends; as
// root, whom file modes do not bind, the test is skipped.
func makeReadOnly(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("running as root, where file modes do not bind")
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(path, 0o600) })
}

// restoreWritable undoes makeReadOnly at once.
func restoreWritable(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Error(err)
	}
}
