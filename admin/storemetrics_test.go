package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestStoreMetrics: every store call is timed by engine and operation, and
// a store that is gone is counted as unavailable errors of the operations
// that met it; answers such as not found are not errors.
func TestStoreMetrics(t *testing.T) {
	s := testserver.Start(t) // cache off: every verification reads the store
	tok := s.OwnerToken(t)
	s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: tok})
	s.Must(t, http.StatusNotFound, testserver.Request{Method: "GET", Path: "/api/v1/users/0123456789abcdef01234567",
		AppToken: s.AppToken, Token: tok})
	engine := `engine="` + testserver.Engine() + `"`
	body := string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	for _, op := range []string{"tenants.FindByID", "apptokens.FindByID", "usertokens.FindByID", "users.FindByID", "users.FindByUsername", "usertokens.Insert", "audit.Insert"} {
		if metricValue(t, body, `latchkey_store_operation_duration_seconds_count{`+engine+`,operation="`+op+`"}`) < 1 {
			t.Errorf("no store call %s timed", op)
		}
		if v := metricValue(t, body, `latchkey_store_errors_total{code="unavailable",`+engine+`,operation="`+op+`"}`); v != 0 {
			t.Errorf("%s: %v unavailable errors while the store is up, want 0 (a user not found is an answer)", op, v)
		}
	}

	if err := s.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: s.AppToken, Token: tok})
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("store closed: got %d, want 503; body %s", r.Status, r.Body)
	}
	body = string(s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/metrics"}).Body)
	var faults float64
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, `latchkey_store_errors_total{code="unavailable",`+engine) {
			faults += metricValue(t, line, strings.Fields(line)[0])
		}
	}
	if faults < 1 {
		t.Errorf("the store was closed and a request met it, but no unavailable store error was counted")
	}
}
