package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// coreCase is one HTTP scenario of the core's tests: a request and what
// must come back.
type coreCase struct {
	name   string
	req    testserver.Request
	status int
	// errors, when not nil, is the exact {"errors": {...}} of the answer; a
	// message "*" stands for any non-empty message.
	errors map[string]string
	check  func(t *testing.T, r *testserver.Response)
}

// runCoreCases runs cases in order against s, each as a subtest.
func runCoreCases(t *testing.T, s *testserver.Server, cases []coreCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(t, tc.req)
			if r.Status != tc.status {
				t.Fatalf("%s %s: got status %d, want %d; body %s", tc.req.Method, tc.req.Path, r.Status, tc.status, r.Body)
			}
			if tc.errors != nil {
				testserver.WantErrors(t, r, tc.errors)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// wantTime checks that v is an RFC 3339 UTC time string equal to want (at
// the store's millisecond precision) and returns it.
func wantTime(t *testing.T, name string, v any, want time.Time) time.Time {
	t.Helper()
	got := wantUTC(t, name, v)
	if d := got.Sub(want); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("%s: got %s, want %s", name, got, want.UTC())
	}
	return got
}

// wantUTC checks that v is an RFC 3339 time string in UTC ("Z").
func wantUTC(t *testing.T, name string, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s: got %v (%T), want an RFC 3339 string", name, v, v)
		return time.Time{}
	}
	got, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("%s: %q is not RFC 3339: %v", name, s, err)
	}
	if !strings.HasSuffix(s, "Z") {
		t.Errorf("%s: got %q, want a UTC time ending in Z", name, s)
	}
	return got
}

// zonedClock is a test clock in a zone far from UTC, so any time that is
// not turned into UTC before it is written shows up as +05:30.
func zonedClock() *testserver.Clock {
	return testserver.NewClock(time.Now().In(time.FixedZone("IST", 5*3600+1800)))
}

// objOf returns r.JSON[key] as an object.
func objOf(r *testserver.Response, key string) map[string]any {
	m, _ := r.JSON[key].(map[string]any)
	return m
}

// itemsOf returns the items of a list answer.
func itemsOf(t *testing.T, r *testserver.Response) []map[string]any {
	t.Helper()
	raw, ok := r.JSON["items"].([]any)
	if !ok {
		t.Fatalf("got body %s, want a list", r.Body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}
