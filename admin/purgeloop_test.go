package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// TestPurgeRunsPeriodically checks that the App runs Purge every
// tokens.purge_interval by itself: an app token expired more than the
// retention ago disappears without anyone calling Purge.
func TestPurgeRunsPeriodically(t *testing.T) {
	const retention = time.Hour
	s := testserver.StartWith(t, testserver.Options{PurgeInterval: 20 * time.Millisecond, Retention: retention})
	owner := s.OwnerToken(t)
	id := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken,
		Token: owner, JSON: map[string]any{"seconds_until_expire": 1}}).String("id")
	get := testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + id, AppToken: s.AppToken, Token: owner}
	s.Must(t, http.StatusOK, get) // expired within the retention: kept
	s.Clock.Advance(retention + time.Minute)
	deadline := time.Now().Add(20 * time.Second)
	for s.Do(t, get).Status != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the expired app token was not purged within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
