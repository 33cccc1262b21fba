package authn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/secret"
)

// gatedSource is a Source whose reads each wait until the test opens their
// gate, and which counts them.
type gatedSource struct {
	inner               authn.Source
	appGate, userGate   chan struct{}
	appReads, userReads atomic.Int64
}

func (g *gatedSource) AppCredential(ctx context.Context, tenant string, ref secret.Ref) (access.AppCredential, error) {
	g.appReads.Add(1)
	<-g.appGate
	return g.inner.AppCredential(ctx, tenant, ref)
}

func (g *gatedSource) UserCredential(ctx context.Context, tenant string, ref secret.Ref) (access.UserCredential, error) {
	g.userReads.Add(1)
	<-g.userGate
	return g.inner.UserCredential(ctx, tenant, ref)
}

// waitFor polls until cond holds; it fails the test after ten seconds, which
// only a broken single flight takes (no result depends on how long it takes).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConcurrentMissesReadOnce sends a burst of requests with one pair of
// credentials that nothing has cached: every request arrives while the
// first store read is held open, and the store is read once per credential
// for all of them (single flight), with the cache on and with it off.
func TestConcurrentMissesReadOnce(t *testing.T) {
	for _, ttl := range []time.Duration{time.Minute, 0} {
		t.Run("ttl="+ttl.String(), func(t *testing.T) {
			const n = 16
			mem, req := memFixture()
			src := &gatedSource{inner: mem, appGate: make(chan struct{}), userGate: make(chan struct{})}
			a := &authn.Authenticator{Keys: testKeys, Source: src, Cache: authn.NewCache(ttl, 100, time.Now), Now: time.Now}
			r := userRouter(a)

			codes := make(chan int, n)
			for range n {
				go func() {
					w := httptest.NewRecorder()
					r.ServeHTTP(w, req.Clone(context.Background()))
					codes <- w.Code
				}()
			}
			// Every request either reads the App-Token or waits for that read.
			waitFor(t, "all requests wait for the app token", func() bool {
				return src.appReads.Load()+int64(a.Cache.Waiting()) == n
			})
			close(src.appGate)
			waitFor(t, "all requests wait for the user token", func() bool {
				return src.userReads.Load()+int64(a.Cache.Waiting()) == n
			})
			close(src.userGate)
			for range n {
				if code := <-codes; code != http.StatusNoContent {
					t.Errorf("got %d, want 204", code)
				}
			}
			if got := src.appReads.Load(); got != 1 {
				t.Errorf("app token: got %d store reads for %d concurrent misses, want 1", got, n)
			}
			if got := src.userReads.Load(); got != 1 {
				t.Errorf("user token: got %d store reads for %d concurrent misses, want 1", got, n)
			}
		})
	}
}
