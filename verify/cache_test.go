package verify

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func key(i int) [32]byte {
	return credentialKey([]string{fmt.Sprint("lka_", i)}, []string{"lku_x"}, nil)
}

func TestCacheSizeBound(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, size := range []int{1, 8, 100} {
		c := newCache(time.Minute, size, func() time.Time { return now })
		for i := range 3 * size {
			c.put(key(i), &Caller{TenantID: "t", Expires: now.Add(time.Hour)})
			if n := c.len(); n > size {
				t.Fatalf("size %d: got %d answers after %d puts", size, n, i+1)
			}
		}
		if _, ok := c.get(key(3*size - 1)); !ok {
			t.Errorf("size %d: the newest answer is gone", size)
		}
	}
}

// An answer is never reused past the token's own expiry, even within the TTL.
func TestCacheStopsAtTheTokensExpiry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	c := newCache(time.Minute, 10, clock)
	c.put(key(1), &Caller{TenantID: "t", Expires: now.Add(10 * time.Second)})
	now = now.Add(9 * time.Second)
	if _, ok := c.get(key(1)); !ok {
		t.Fatal("before the expiry: got a miss")
	}
	now = now.Add(time.Second)
	if _, ok := c.get(key(1)); ok {
		t.Error("at the token's expiry: got a hit")
	}
}

func TestCacheNegativeTTLKeepsNothing(t *testing.T) {
	c := newCache(-1, 10, time.Now)
	c.put(key(1), &Caller{TenantID: "t", Expires: time.Now().Add(time.Hour)})
	if _, ok := c.get(key(1)); ok || c.len() != 0 {
		t.Error("a negative TTL cached an answer")
	}
}

// The key covers every credential header and where each value came from,
// so two requests share an answer only when they carry the same ones.
func TestCredentialKeyDistinguishes(t *testing.T) {
	keys := map[[32]byte]string{}
	for name, k := range map[string][32]byte{
		"app a, token b":       credentialKey([]string{"a"}, []string{"b"}, nil),
		"app a, bearer b":      credentialKey([]string{"a"}, nil, []string{"b"}),
		"app ab":               credentialKey([]string{"ab"}, nil, nil),
		"app a, token b twice": credentialKey([]string{"a"}, []string{"b", "b"}, nil),
		"app a":                credentialKey([]string{"a"}, nil, nil),
		"app a, token empty":   credentialKey([]string{"a"}, []string{""}, nil),
	} {
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s share a key", name, other)
		}
		keys[k] = name
	}
}

// A handler that changes its Caller does not change another request's.
func TestCacheHandsOutCopies(t *testing.T) {
	c := newCache(time.Minute, 10, time.Now)
	c.put(key(1), &Caller{TenantID: "t", Role: "member", Expires: time.Now().Add(time.Hour)})
	a, _ := c.get(key(1))
	a.Role = "owner"
	if b, _ := c.get(key(1)); b.Role != "member" {
		t.Errorf("got role %q, want member", b.Role)
	}
}

// TestCacheConcurrentUse hammers the cache from many goroutines; under
// -race it checks the locking, and the size bound holds throughout.
func TestCacheConcurrentUse(t *testing.T) {
	c := newCache(time.Minute, 50, time.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := key(g*1000 + i%70)
				if _, ok := c.get(k); !ok {
					c.put(k, &Caller{TenantID: "t", Expires: time.Now().Add(time.Hour)})
				}
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > 50 {
		t.Errorf("got %d answers, want at most 50", n)
	}
}
