// Package clock holds the one rule about stored times: every engine keeps
// them in UTC to the millisecond.
package clock

import "time"

// Stored returns t in UTC at the stores' precision (milliseconds), so a time
// handed back at creation equals the one read later on every engine.
func Stored(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
