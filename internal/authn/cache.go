package authn

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/access"
)

// Cache keeps resolved credentials for a short time, so that a request whose
// tokens were seen within TTL needs no store round trip.
//
// Revocation: every change to a tenant's credentials on this instance calls
// Invalidate(tenant), which bumps the tenant's generation and so drops all of
// its entries at once; other instances see the change when their entries
// reach TTL. Expiry is checked against the cached expiry on every request,
// so a cached token still stops at its own expiry time. Only positive results
// are cached: unknown tokens always go to the store (after the format check,
// which rejects made-up strings), so a flood of them cannot evict good entries.
type Cache struct {
	ttl  time.Duration
	size int
	now  func() time.Time

	mu      sync.Mutex
	gen     map[string]uint64 // tenant id → generation
	entries map[string]entry  // token hash → entry
	flights map[flightKey]*flight

	hits, misses atomic.Uint64
}

// flightKey names one store read in progress: a credential as seen in one
// generation of its tenant. A request that starts after Invalidate sees the
// new generation, so it never joins a read that began before the change.
type flightKey struct {
	tenant, hash string
	gen          uint64
}

// errLoadPanicked is what callers waiting on a load hear when it panicked
// (the panic itself reaches the loading request's recovery).
var errLoadPanicked = errors.New("authn: credential load panicked")

// flight is one store read that concurrent misses of the same credential
// wait for instead of reading again (single flight).
type flight struct {
	done   chan struct{}
	joined int // callers waiting besides the one reading
	val    entry
	err    error
}

type entry struct {
	tenant  string
	gen     uint64
	fetched time.Time
	app     access.AppCredential
	user    access.UserCredential
}

// NewCache returns a cache of at most size entries, each kept for ttl; a ttl
// of 0 disables it.
func NewCache(ttl time.Duration, size int, now func() time.Time) *Cache {
	return &Cache{ttl: ttl, size: max(size, 1), now: now, gen: map[string]uint64{}, entries: map[string]entry{},
		flights: map[flightKey]*flight{}}
}

// Invalidate drops every cached credential of tenant.
func (c *Cache) Invalidate(tenant string) {
	c.mu.Lock()
	c.gen[tenant]++
	c.mu.Unlock()
}

// Len returns the number of entries held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Stats returns how many lookups the cache answered (hits) and how many
// went to the store (misses) since it was made.
func (c *Cache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

func (c *Cache) app(ctx context.Context, tenant, hash string, load func(context.Context) (access.AppCredential, error)) (access.AppCredential, error) {
	e, err := c.lookup(ctx, tenant, hash, func(ctx context.Context) (entry, error) {
		v, err := load(ctx)
		return entry{app: v}, err
	})
	return e.app, err
}

func (c *Cache) user(ctx context.Context, tenant, hash string, load func(context.Context) (access.UserCredential, error)) (access.UserCredential, error) {
	e, err := c.lookup(ctx, tenant, hash, func(ctx context.Context) (entry, error) {
		v, err := load(ctx)
		return entry{user: v}, err
	})
	return e.user, err
}

// lookup answers from the cache, or else loads the credential once for all
// concurrent callers that miss it in the same generation of its tenant, and
// keeps a successful result. The load runs detached from the cancellation of
// the request that started it (the store's own timeout bounds it), so a
// client that hangs up does not fail the others waiting for the same read.
func (c *Cache) lookup(ctx context.Context, tenant, hash string, load func(context.Context) (entry, error)) (entry, error) {
	if e, ok := c.get(tenant, hash); ok {
		return e, nil
	}
	c.mu.Lock()
	key := flightKey{tenant: tenant, hash: hash, gen: c.gen[tenant]}
	if f, ok := c.flights[key]; ok {
		f.joined++
		c.mu.Unlock()
		<-f.done
		return f.val, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()
	f.err = errLoadPanicked // until the load returns
	defer func() {
		c.mu.Lock()
		delete(c.flights, key)
		c.mu.Unlock()
		close(f.done)
	}()
	f.val, f.err = load(context.WithoutCancel(ctx))
	if f.err == nil {
		f.val.tenant, f.val.gen = tenant, key.gen
		c.put(hash, f.val)
	}
	return f.val, f.err
}

func (c *Cache) get(tenant, hash string) (entry, bool) {
	if c.ttl <= 0 {
		c.misses.Add(1)
		return entry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok {
		c.misses.Add(1)
		return entry{}, false
	}
	if e.tenant != tenant || e.gen != c.gen[tenant] || c.now().Sub(e.fetched) >= c.ttl {
		delete(c.entries, hash)
		c.misses.Add(1)
		return entry{}, false
	}
	c.hits.Add(1)
	return e, true
}

// put stores e unless the tenant's generation moved while it was loaded (a
// change raced with the load, so the loaded value may be stale).
func (c *Cache) put(hash string, e entry) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.gen != c.gen[e.tenant] {
		return
	}
	if len(c.entries) >= c.size {
		c.evict()
	}
	e.fetched = c.now()
	c.entries[hash] = e
}

// evict removes expired entries, or, if none are, an arbitrary eighth of the
// cache (Go's map order is randomised). Called with mu held.
func (c *Cache) evict() {
	now := c.now()
	for k, e := range c.entries {
		if now.Sub(e.fetched) >= c.ttl || e.gen != c.gen[e.tenant] {
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
