package verify_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/verify"
)

// BenchmarkHandlerHit is the middleware on a cache hit: hashing the
// credentials, one cache lookup, the role check, the Caller in the
// context, through to a handler that writes 204. No call to Latchkey.
func BenchmarkHandlerHit(b *testing.B) {
	latchkey := standIn()
	defer latchkey.Close()
	v, err := verify.New(verify.Options{URL: latchkey.URL, Role: "member"})
	if err != nil {
		b.Fatal(err)
	}
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verify.FromContext(r.Context()); !ok {
			b.Fatal("no caller")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("App-Token", "lka_demo")
	req.Header.Set("Token", "lku_ann")
	h.ServeHTTP(httptest.NewRecorder(), req) // fill the cache
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("got %d: %s", w.Code, w.Body)
		}
	}
}
