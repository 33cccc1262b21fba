package usertokens_test

import (
	"maps"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// storeCalls returns how many calls of each store operation the server has
// made so far, read from /metrics (latchkey_store_operation_duration_seconds,
// one count per engine and operation, every call timed).
func storeCalls(t *testing.T, s *testserver.Server) map[string]float64 {
	t.Helper()
	return s.Samples(t, "latchkey_store_operation_duration_seconds_count")
}

// TestFailedLoginsReadAlike: a failed login with an unknown username makes
// exactly the store calls of one with a wrong password, operation by
// operation, and looks the username up once; recording the failure in the
// audit log costs no second lookup. (Equal work is what keeps their times
// equal; docs/PERFORMANCE.md has the measured times.)
func TestFailedLoginsReadAlike(t *testing.T) {
	s := testserver.Start(t) // cache off: both verify the App-Token the same way
	login := func(username string) map[string]float64 {
		t.Helper()
		before := storeCalls(t, s)
		r := s.Must(t, http.StatusUnauthorized, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
			JSON: map[string]any{"username": username, "password": "wrong-password"}})
		testserver.WantErrors(t, r, map[string]string{"credentials": "Invalid username or password."})
		after := storeCalls(t, s)
		delta := map[string]float64{}
		for op, n := range after {
			if d := n - before[op]; d != 0 {
				delta[op] = d
			}
		}
		return delta
	}
	// Each username's first failure, so each takes the same lockout steps.
	unknown, wrong := login("nobody-here"), login(s.Username)
	if !maps.Equal(unknown, wrong) {
		t.Errorf("store calls of a failed login:\nunknown username %v\nwrong password   %v\nwant the same", unknown, wrong)
	}
	lookup := `engine="` + testserver.Engine() + `",operation="users.FindByUsername"`
	for name, calls := range map[string]map[string]float64{"unknown username": unknown, "wrong password": wrong} {
		if calls[lookup] != 1 {
			t.Errorf("%s: %v username lookups, want 1 (calls %v)", name, calls[lookup], calls)
		}
	}
}
