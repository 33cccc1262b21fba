// Package verifytest is a stand-in for a Latchkey's /api/v1/verify, for the
// tests of services behind the verify middleware (as net/http/httptest is
// for HTTP): it knows the tokens it is given and answers as Latchkey does,
// with the same statuses, headers and body. It checks nothing else (no
// expiry, no store): test against a real Latchkey for that.
package verifytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/verify"
)

// Server is the stand-in, listening on a loopback address.
type Server struct {
	*httptest.Server

	mu    sync.Mutex
	apps  map[string]verify.Caller // app token → tenant and app token
	users map[string]verify.Caller // user token → the whole caller
}

// NewServer starts a stand-in that knows no token yet; Close it when done.
func NewServer() *Server {
	s := &Server{apps: map[string]verify.Caller{}, users: map[string]verify.Caller{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddApp makes appToken valid, naming the tenant and app token of c.
func (s *Server) AddApp(appToken string, c verify.Caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appToken] = verify.Caller{TenantID: c.TenantID, Tenant: c.Tenant, AppTokenID: c.AppTokenID, Expires: c.Expires,
		Scopes: c.Scopes, ExternalID: c.ExternalID}
}

// AddUser makes userToken valid as c. It is accepted with any app token of
// c's tenant.
func (s *Server) AddUser(userToken string, c verify.Caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[userToken] = c
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/verify" && r.URL.Path != "/api/v1/verify/" {
		answer(w, r, http.StatusNotFound, map[string]string{"path": "No such endpoint."})
		return
	}
	s.mu.Lock()
	app, appOK := s.apps[r.Header.Get("App-Token")]
	tok := userToken(r)
	user, userOK := s.users[tok]
	s.mu.Unlock()
	q := r.URL.Query()
	role := q.Get("role")
	switch {
	case r.Header.Get("App-Token") == "" && tok == "":
		answer(w, r, http.StatusUnauthorized, map[string]string{"App-Token": "This header is required.", "Token": "This header is required."})
	case r.Header.Get("App-Token") == "":
		answer(w, r, http.StatusUnauthorized, map[string]string{"App-Token": "This header is required."})
	case !appOK:
		answer(w, r, http.StatusUnauthorized, map[string]string{"App-Token": "Invalid or expired app token."})
	case tok == "" && q.Get("user") == "optional" && role == "":
		answer(w, r, http.StatusOK, app)
	case tok == "":
		answer(w, r, http.StatusUnauthorized, map[string]string{"Token": "This header is required."})
	case !userOK:
		answer(w, r, http.StatusUnauthorized, map[string]string{"Token": "Invalid or expired token."})
	case user.TenantID != app.TenantID:
		answer(w, r, http.StatusUnauthorized, map[string]string{"Token": "The token and the app token belong to different tenants."})
	case role != "" && !user.AtLeast(role):
		answer(w, r, http.StatusForbidden, map[string]string{"role": "This needs the role " + role +
			" or a stronger one; the caller's role is " + user.Role + "."})
	default:
		user.AppTokenID = app.AppTokenID
		answer(w, r, http.StatusOK, user)
	}
}

func userToken(r *http.Request) string {
	if t := r.Header.Get("Token"); t != "" {
		return t
	}
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(value)
	}
	return ""
}

// timeText is a time as Latchkey writes every time in an answer: RFC 3339
// UTC with exactly three fractional digits (internal/clock in the server's
// module, which this module may not import).
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// answer writes a /verify answer to r: the caller in X-Latchkey-* headers
// and the body, or the errors.
func answer(w http.ResponseWriter, r *http.Request, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store") // as every answer under /api/v1
	var body any = v
	switch v := v.(type) {
	case verify.Caller:
		for k, val := range map[string]string{"Tenant-Id": v.TenantID, "Tenant": v.Tenant, "App-Token-Id": v.AppTokenID,
			"User-Id": v.UserID, "Username": v.Username, "Role": v.Role, "Actor-Id": v.ActorID, "Token-Id": v.TokenID,
			"Token-Kind": v.TokenKind} {
			if val != "" {
				h.Set("X-Latchkey-"+k, val)
			}
		}
		h.Set("X-Latchkey-Expires", timeText(v.Expires))
		if len(v.Scopes) > 0 {
			h.Set("X-Latchkey-Scopes", strings.Join(v.Scopes, " "))
		}
		if v.ExternalID != "" {
			h.Set("X-Latchkey-External-Id", v.ExternalID)
		}
		if returnMinimal(r.Header.Values("Prefer")) { // as Latchkey: headers only
			h.Set("Preference-Applied", "return=minimal")
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		body = struct { // the expiry as Latchkey writes times
			verify.Caller
			Expires string `json:"expires"`
		}{v, timeText(v.Expires)}
	case map[string]string:
		body = map[string]any{"errors": v}
		if status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Token realm="latchkey"`)
		}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
