package admin_test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/internal/testserver"
)

// No secret — password, app token, user token, refresh token — reaches a
// log line or an audit record, even when a client puts one in a URL.
func TestNoSecretInLogsOrAudit(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	s := testserver.StartWith(t, testserver.Options{Logger: zap.New(core)})
	login := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	tok, refresh := login.String("token"), login.String("refresh_token")
	secrets := []string{s.Password, s.AppToken, tok, refresh}

	s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token/", AppToken: s.AppToken,
		Form: url.Values{"username": {s.Username}, "password": {s.Password}}})
	s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		Header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Username+":"+s.Password))}})
	s.Must(t, 401, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": "a-wrong-secret-password"}})
	secrets = append(secrets, "a-wrong-secret-password")
	s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/users", AppToken: s.AppToken, Token: tok,
		JSON: map[string]any{"username": "carol", "password": "carols-secret-pw", "email": "c@example.test", "role": "member"}})
	secrets = append(secrets, "carols-secret-pw")
	tn := s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tenants", AppToken: s.AppToken, Token: tok,
		JSON: map[string]any{"slug": "acme", "name": "Acme", "admin": map[string]any{"username": "boss", "password": "boss-secret-pw", "email": "b@example.test"}}})
	secrets = append(secrets, "boss-secret-pw", tn.String("app_token"))
	s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/app_tokens", AppToken: s.AppToken, Token: tok, JSON: map[string]any{"name": "x"}})
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + objOf(login, "user")["id"].(string), AppToken: s.AppToken,
		JSON: map[string]any{"email": "a@example.test"}, Header: map[string]string{"Authorization": "Bearer " + tok}})
	// Token strings in URL paths: matched, unmatched and 405 routes.
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/app_tokens/" + s.AppToken, AppToken: s.AppToken, Token: tok})
	s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/nope/" + tok, AppToken: s.AppToken, Token: tok})
	s.Must(t, 405, testserver.Request{Method: "PUT", Path: "/api/v1/app_tokens/" + s.AppToken, AppToken: s.AppToken, Token: tok})
	s.Must(t, 404, testserver.Request{Method: "GET", Path: "/api/v1/tenants/" + refresh, AppToken: s.AppToken, Token: tok})
	s.Must(t, 204, testserver.Request{Method: "DELETE", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})
	s.Must(t, 401, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: s.AppToken, Token: tok})

	entries := logs.All()
	requests := 0
	for _, e := range entries {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, sec := range secrets {
			// A token's random half would give away a shortened token too.
			if strings.Contains(line, sec) || len(sec) > 40 && strings.Contains(line, sec[len(sec)/2:]) {
				t.Errorf("a log line carries a secret: %s", line)
			}
		}
		if e.Message == "request" {
			requests++
		}
	}
	if requests != 14 {
		t.Errorf("got %d access log lines, want one per request (14)", requests)
	}

	// Every stored record (audit log, tokens, users), read straight from
	// the engine: secrets are kept as hashes only.
	for _, id := range []string{s.TenantID, objOf(tn, "tenant")["id"].(string)} {
		recs := s.Records(t, id)
		if len(recs) == 0 {
			t.Errorf("tenant %s has no stored records", id)
		}
		for _, line := range recs {
			for _, sec := range secrets {
				if strings.Contains(line, sec) {
					t.Errorf("a stored record carries a secret: %s", line)
				}
			}
		}
	}
}

// The access log has one line per request with its request id, tenant,
// token public id, user id, status and latency.
func TestAccessLogLine(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := testserver.StartWith(t, testserver.Options{Logger: zap.New(core)})
	r := s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: s.AppToken,
		JSON: map[string]any{"username": s.Username, "password": s.Password}})
	tok, tokID, userID := r.String("token"), r.String("id"), objOf(r, "user")["id"].(string)
	logs.TakeAll()
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me/", AppToken: s.AppToken, Token: tok,
		Header: map[string]string{"X-Request-Id": "rid-access-1"}})
	lines := logs.FilterMessage("request").All()
	if len(lines) != 1 {
		t.Fatalf("got %d request lines, want 1", len(lines))
	}
	got := lines[0].ContextMap()
	for k, want := range map[string]any{"request_id": "rid-access-1", "method": "GET", "route": "/api/v1/users/me", "status": int64(200),
		"tenant": s.TenantID, "token_id": tokID, "user_id": userID} {
		if got[k] != want {
			t.Errorf("%s: got %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got["latency"]; !ok {
		t.Errorf("no latency in %v", got)
	}
}
