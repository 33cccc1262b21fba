package verify

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cache keeps Latchkey's positive answers by a hash of the credentials,
// each for at most ttl and never past the token's own expiry, and holds at
// most size of them. Refusals are not kept: a made-up token is asked about
// every time, so a flood of them cannot evict good answers.
type cache struct {
	ttl  time.Duration
	size int
	now  func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cached
}

type cached struct {
	caller Caller
	until  time.Time
}

func newCache(ttl time.Duration, size int, now func() time.Time) *cache {
	return &cache{ttl: ttl, size: size, now: now, entries: map[[sha256.Size]byte]cached{}}
}

func (c *cache) get(key [sha256.Size]byte) (*Caller, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.until) {
		delete(c.entries, key)
		return nil, false
	}
	caller := e.caller // a copy: a handler that changes its Caller changes no other's
	return &caller, true
}

func (c *cache) put(key [sha256.Size]byte, caller *Caller) {
	if c.ttl <= 0 {
		return
	}
	now := c.now()
	until := now.Add(c.ttl)
	if caller.Expires.Before(until) {
		until = caller.Expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		c.evict(now)
	}
	c.entries[key] = cached{caller: *caller, until: until}
}

// evict removes the answers past their time or, if that frees too little,
// an arbitrary eighth of the cache (Go's map order is randomised). Called
// with mu held.
func (c *cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.size-c.size/8 {
			break
		}
		delete(c.entries, k)
	}
}

// len returns how many answers are kept.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
