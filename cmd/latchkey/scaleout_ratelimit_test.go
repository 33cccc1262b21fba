package main

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ratelimit"
)

// TestTwoInstancesRateLimit spreads the requests of one rate-limited app
// token over two serve instances on one store and counts the
// admitted ones per window: within 1.1 × N + 2 (the design admits at most
// N), and no fewer than the budget less one chunk that an instance may
// hold unused. A request whose window is ambiguous (it was sent in one
// window and answered in the next) counts in both, which only makes the
// check stricter.
func TestTwoInstancesRateLimit(t *testing.T) {
	eachEngine(t, testTwoInstancesRateLimit)
}

func testTwoInstancesRateLimit(t *testing.T, store []string) {
	const n, seconds = 60, 3600
	a, b, app := twoInstances(t, append(store, "LATCHKEY_CACHE_TTL=1m")...)
	owner := login(t, a.base, app, "admin", "owner-password")
	made := mustCall(t, a.base, 201, apiCall{method: "POST", path: "/api/v1/app_tokens", appToken: app, token: owner,
		json: map[string]any{"name": "partner", "rate_limit": map[string]any{"limit": n, "seconds": seconds}}})
	limited := made["app_token"].(string)

	window := func(at time.Time) int64 { return at.Unix() / seconds }
	var (
		mu       sync.Mutex
		admitted = map[int64]int{}
		refused  int
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for g := range 4 {
		wg.Go(func() {
			for i := range 3 * n / 4 {
				base := a.base
				if (g+i)%2 == 1 {
					base = b.base
				}
				req, _ := http.NewRequest("GET", base+"/api/v1/verify", nil)
				req.Header.Set("App-Token", limited)
				req.Header.Set("Token", owner)
				sent := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				answered := time.Now()
				if resp.Header.Get("RateLimit-Policy") != `"default";q=60;w=3600` || resp.Header.Get("RateLimit") == "" {
					t.Errorf("answer %d without the RateLimit fields: %v", resp.StatusCode, resp.Header)
				}
				mu.Lock()
				switch resp.StatusCode {
				case http.StatusOK:
					admitted[window(sent)]++
					if window(answered) != window(sent) {
						admitted[window(answered)]++
					}
				case http.StatusTooManyRequests:
					refused++
					if resp.Header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
				default:
					t.Errorf("got %d, want 200 or 429", resp.StatusCode)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for w, got := range admitted {
		total += got
		if float64(got) > 1.1*n+2 {
			t.Errorf("window %d: %d admitted over two instances, want at most 1.1 × %d + 2", w, got, n)
		}
	}
	if len(admitted) == 1 && total < n-int(ratelimit.ChunkSize(n)) {
		t.Errorf("%d admitted, want at least %d (the budget less one chunk)", total, n-int(ratelimit.ChunkSize(n)))
	}
	t.Logf("admitted %v, refused %d, of %d requests", admitted, refused, 3*n)
}
