package verify

import "time"

// SetClock makes v's cache read the time from now.
func SetClock(v *Verifier, now func() time.Time) { v.cache.now = now }
