package verify

import "time"

// SetClock makes v's cache read the time from now.
func SetClock(v *Verifier, now func() time.Time) { v.cache.now = now }

// CacheLen returns how many answers v keeps.
func CacheLen(v *Verifier) int { return v.cache.len() }
