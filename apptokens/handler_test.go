package apptokens_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
)

const base = "/api/v1/app_tokens"

func TestCreate(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantField  string // error field, for failures
		wantTTL    time.Duration
	}{
		{name: "default lifetime is 200 years", body: map[string]any{}, wantStatus: 201, wantTTL: 200 * 365 * 24 * time.Hour},
		{name: "no body at all", body: nil, wantStatus: 400, wantField: "body"}, // {} means the defaults; nothing may be a lost body
		{name: "a day", body: map[string]any{"seconds_until_expire": 86400, "name": "sync"}, wantStatus: 201, wantTTL: 24 * time.Hour},
		{name: "zero", body: map[string]any{"seconds_until_expire": 0}, wantStatus: 400, wantField: "seconds_until_expire"},
		{name: "negative", body: map[string]any{"seconds_until_expire": -1}, wantStatus: 400, wantField: "seconds_until_expire"},
		{name: "over the maximum", body: map[string]any{"seconds_until_expire": int64(300 * 365 * 86400)}, wantStatus: 400, wantField: "seconds_until_expire"},
		{name: "client-chosen app_token", body: map[string]any{"app_token": "mine"}, wantStatus: 400, wantField: "app_token"},
		{name: "client-chosen token", body: map[string]any{"token": "mine"}, wantStatus: 400, wantField: "app_token"},
		{name: "client-chosen id", body: map[string]any{"id": "6b02a6e5ca87368ce209254d"}, wantStatus: 400, wantField: "app_token"},
		{name: "wrong type", body: `{"seconds_until_expire": "soon"}`, wantStatus: 400, wantField: "seconds_until_expire"},
		{name: "unknown field", body: map[string]any{"owner": "x"}, wantStatus: 400, wantField: "owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner, JSON: tt.body})
			if r.Status != tt.wantStatus {
				t.Fatalf("got status %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			if tt.wantStatus != 201 {
				if _, ok := r.Errors()[tt.wantField]; !ok {
					t.Fatalf("got errors %v, want one on %q", r.Errors(), tt.wantField)
				}
				return
			}
			secret := r.String("app_token")
			if !strings.HasPrefix(secret, "lka_"+s.TenantID+"_") {
				t.Errorf("got app_token %q, want prefix lka_%s_", secret, s.TenantID)
			}
			created, _ := time.Parse(time.RFC3339, r.String("created"))
			expires, _ := time.Parse(time.RFC3339, r.String("expires"))
			if got := expires.Sub(created); got < tt.wantTTL-time.Second || got > tt.wantTTL+time.Second {
				t.Errorf("got lifetime %v, want %v", got, tt.wantTTL)
			}
			// The new token works as an App-Token at once.
			s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: secret, Token: owner})
		})
	}
}

func TestListAndGetNeverShowSecrets(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner,
		JSON: map[string]any{"seconds_until_expire": 60, "name": "short"}})
	id, secret := r.String("id"), r.String("app_token")
	s.Clock.Advance(2 * time.Minute)

	list := s.Must(t, 200, testserver.Request{Method: "GET", Path: base + "/", AppToken: s.AppToken, Token: owner})
	if strings.Contains(string(list.Body), secret[len(secret)-20:]) || strings.Contains(string(list.Body), `"app_token"`) {
		t.Fatalf("list shows a secret: %s", list.Body)
	}
	items := list.JSON["items"].([]any)
	if got, want := len(items), 2; got != want { // the initial token and the new one
		t.Fatalf("got %d items, want %d", got, want)
	}
	first := items[0].(map[string]any) // newest first
	if first["id"] != id || first["expired"] != true || first["name"] != "short" {
		t.Errorf("got newest item %v, want id %s, expired, named short", first, id)
	}
	for _, key := range []string{"created", "created_by", "expires", "last_used"} {
		if _, ok := first[key]; !ok {
			t.Errorf("item lacks %q", key)
		}
	}
	// By id and by the token string itself.
	for _, ref := range []string{id, secret} {
		g := s.Must(t, 200, testserver.Request{Method: "GET", Path: base + "/" + ref, AppToken: s.AppToken, Token: owner})
		if g.String("id") != id {
			t.Errorf("GET by %.8s…: got id %s, want %s", ref, g.String("id"), id)
		}
	}
	for ref, want := range map[string]int{"nope": 400, "6b02a6e5ca87368ce209254d": 404, "lka_" + s.TenantID + "_" + strings.Repeat("a", 77): 404} {
		if got := s.Do(t, testserver.Request{Method: "GET", Path: base + "/" + ref, AppToken: s.AppToken, Token: owner}); got.Status != want {
			t.Errorf("GET %s: got %d, want %d: %s", ref, got.Status, want, got.Body)
		}
	}
	if got := s.Do(t, testserver.Request{Method: "GET", Path: base + "/nope", AppToken: s.AppToken, Token: owner}).Errors()["token"]; got != "One or more IDs are not formatted correctly." {
		t.Errorf("malformed id: got %v", got)
	}
}

func TestRedateExpireDelete(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}})
	id, secret := r.String("id"), r.String("app_token")
	patch := func(seconds int64) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "PATCH", Path: base + "/" + id, AppToken: s.AppToken, Token: owner,
			JSON: map[string]any{"seconds_until_expire": seconds}})
	}
	useIt := func() int {
		return s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: secret, Token: owner}).Status
	}

	if got := patch(3600); got.Status != 200 || got.JSON["expired"] != false {
		t.Fatalf("re-date: got %d %s", got.Status, got.Body)
	}
	if got := patch(-1); got.Status != 200 || got.JSON["expired"] != true {
		t.Fatalf("expire: got %d %s", got.Status, got.Body)
	}
	if got := useIt(); got != http.StatusUnauthorized {
		t.Fatalf("expired token used: got %d, want 401", got)
	}
	if got := patch(3600); got.Status != http.StatusConflict { // expired is final
		t.Fatalf("re-date expired: got %d %s, want 409", got.Status, got.Body)
	} else {
		testserver.WantErrors(t, got, map[string]string{"seconds_until_expire": "*"})
	}
	if got := useIt(); got != http.StatusUnauthorized {
		t.Fatalf("token used after a refused re-date: got %d, want 401", got)
	}
	if got := patch(300 * 365 * 86400); got.Status != 400 || !strings.Contains(got.Errors()["seconds_until_expire"].(string), "at most") {
		t.Fatalf("over max: got %d %s", got.Status, got.Body)
	}
	if got := s.Do(t, testserver.Request{Method: "PATCH", Path: base + "/" + id, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}}); got.Status != 400 || got.Errors()["body"] == nil {
		t.Fatalf("nothing to change: got %d %s", got.Status, got.Body)
	}
	put := s.Do(t, testserver.Request{Method: "PUT", Path: base + "/" + id, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}})
	if put.Status != http.StatusMethodNotAllowed || !strings.Contains(put.Header.Get("Allow"), "PATCH") {
		t.Fatalf("PUT: got %d Allow %q, want 405 with Allow", put.Status, put.Header.Get("Allow"))
	}
	s.Must(t, 204, testserver.Request{Method: "DELETE", Path: base + "/" + secret + "/", AppToken: s.AppToken, Token: owner})
	if got := useIt(); got != http.StatusUnauthorized {
		t.Fatalf("deleted token used: got %d, want 401", got)
	}
	s.Must(t, 404, testserver.Request{Method: "DELETE", Path: base + "/" + id, AppToken: s.AppToken, Token: owner})

	audit := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/audit?limit=500", AppToken: s.AppToken, Token: owner})
	seen := map[string]int{}
	for _, it := range audit.JSON["items"].([]any) {
		rec := it.(map[string]any)
		if rec["target"] == id {
			seen[rec["action"].(string)]++
		}
	}
	for action, want := range map[string]int{"app_token.create": 1, "app_token.expiry": 2, "app_token.delete": 1} {
		if seen[action] != want {
			t.Errorf("audit %s: got %d records, want %d", action, seen[action], want)
		}
	}
	if strings.Contains(string(audit.Body), secret) {
		t.Error("the audit log contains a token string")
	}
}

func TestOtherTenantsTokensAreInvisible(t *testing.T) {
	s := testserver.Start(t)
	a := s.NewTenant(t, "alpha")
	b := s.NewTenant(t, "beta")
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: a.AppToken, Token: a.OwnerToken, JSON: map[string]any{}})
	for _, ref := range []string{r.String("id"), r.String("app_token")} {
		for _, method := range []string{"GET", "DELETE"} {
			if got := s.Do(t, testserver.Request{Method: method, Path: base + "/" + ref, AppToken: b.AppToken, Token: b.OwnerToken}); got.Status != 404 {
				t.Errorf("%s %.8s… from another tenant: got %d, want 404", method, ref, got.Status)
			}
		}
	}
	s.Must(t, 200, testserver.Request{Method: "GET", Path: base + "/" + r.String("id"), AppToken: a.AppToken, Token: a.OwnerToken})
}

// TestForgedStringWithARealID: a token string is found by the record id it
// names, then its hash must match. A well-formed string naming a real id
// with other random bytes is refused as a credential and as a URL ref.
func TestForgedStringWithARealID(t *testing.T) {
	s := testserver.Start(t)
	owner := s.OwnerToken(t)
	r := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: s.AppToken, Token: owner, JSON: map[string]any{}})
	id, err := ids.Parse(r.String("id"))
	if err != nil {
		t.Fatal(err)
	}
	forged := s.Keys.NewToken(secret.App, s.TenantID, id)
	if tok, ok := s.Keys.Parse(forged); !ok || tok.ID != id {
		t.Fatalf("the forged string does not name id %s", id.Hex())
	}
	if got := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: forged, Token: owner}); got.Status != http.StatusUnauthorized {
		t.Errorf("forged App-Token: got %d, want 401", got.Status)
	}
	if got := s.Do(t, testserver.Request{Method: "DELETE", Path: base + "/" + forged, AppToken: s.AppToken, Token: owner}); got.Status != http.StatusNotFound {
		t.Errorf("DELETE by forged string: got %d, want 404", got.Status)
	}
	// The real one still works, by its string.
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: r.String("app_token"), Token: owner})
}

// TestLastLiveAppToken: deleting or expiring a tenant's last live app token
// is 409, as every role; ?force=true lets an owner do it, and only an owner.
func TestLastLiveAppToken(t *testing.T) {
	s := testserver.Start(t)
	tn := s.NewTenant(t, "lonely")
	owner := tn.OwnerToken
	s.NewUser(t, tn.AppToken, owner, "ada", "admin")
	admin := s.Login(t, tn.AppToken, "ada", "ada-password")
	list := s.Must(t, 200, testserver.Request{Method: "GET", Path: base, AppToken: tn.AppToken, Token: owner})
	only := list.JSON["items"].([]any)[0].(map[string]any)["id"].(string)
	req := func(method, query, token string, body any) *testserver.Response {
		return s.Do(t, testserver.Request{Method: method, Path: base + "/" + only + query, AppToken: tn.AppToken, Token: token, JSON: body})
	}
	expire := map[string]any{"seconds_until_expire": -1}
	for _, tt := range []struct {
		name, method, query, token string
		body                       any
		want                       int
		field                      string
	}{
		{"the owner deletes it", "DELETE", "", owner, nil, 409, "token"},
		{"the owner expires it", "PATCH", "", owner, expire, 409, "token"},
		{"an admin deletes it", "DELETE", "", admin, nil, 409, "token"},
		{"an admin forces", "DELETE", "?force=true", admin, nil, 403, "permission"},
		{"an admin forces the expiry", "PATCH", "?force=true", admin, expire, 403, "permission"},
		{"force is not a boolean", "DELETE", "?force=yes", owner, nil, 400, "force"},
		{"an unknown parameter", "DELETE", "?forse=true", owner, nil, 400, "forse"},
	} {
		r := req(tt.method, tt.query, tt.token, tt.body)
		if r.Status != tt.want {
			t.Fatalf("%s: got %d, want %d: %s", tt.name, r.Status, tt.want, r.Body)
		}
		testserver.WantErrors(t, r, map[string]string{tt.field: "*"})
	}
	// Still there and still working.
	s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: tn.AppToken, Token: owner})
	// Re-dating it while it stays live is no removal.
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: base + "/" + only, AppToken: tn.AppToken, Token: owner,
		JSON: map[string]any{"seconds_until_expire": 3600}})
	// With a second live token, the first may go without force.
	second := s.Must(t, 201, testserver.Request{Method: "POST", Path: base, AppToken: tn.AppToken, Token: owner, JSON: map[string]any{}})
	s.Must(t, 204, testserver.Request{Method: "DELETE", Path: base + "/" + only, AppToken: second.String("app_token"), Token: owner})
	// The owner forces the expiry of the last one: the tenant is locked out.
	s.Must(t, 200, testserver.Request{Method: "PATCH", Path: base + "/" + second.String("id") + "?force=true",
		AppToken: second.String("app_token"), Token: owner, JSON: expire})
	s.Must(t, 401, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: second.String("app_token"), Token: owner})
}

// TestPlatformMintsAppToken: a platform owner gives a locked-out tenant a
// new app token; nobody else may, and both audit logs record it.
func TestPlatformMintsAppToken(t *testing.T) {
	s := testserver.Start(t)
	platformOwner := s.OwnerToken(t)
	tn := s.NewTenant(t, "locked")
	other := s.NewTenant(t, "other")
	list := s.Must(t, 200, testserver.Request{Method: "GET", Path: base, AppToken: tn.AppToken, Token: tn.OwnerToken})
	only := list.JSON["items"].([]any)[0].(map[string]any)["id"].(string)
	s.Must(t, 204, testserver.Request{Method: "DELETE", Path: base + "/" + only + "?force=true", AppToken: tn.AppToken, Token: tn.OwnerToken})

	mint := func(ref, appToken, token string, body any) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/tenants/" + ref + "/app_tokens/", AppToken: appToken, Token: token, JSON: body})
	}
	for _, tt := range []struct {
		name, ref, appToken, token string
		body                       any
		want                       int
		field                      string
	}{
		{"another tenant's owner", tn.Slug, other.AppToken, other.OwnerToken, nil, 403, "permission"},
		{"an unknown tenant", "nowhere", s.AppToken, platformOwner, nil, 404, "tenant"},
		{"a chosen string", tn.Slug, s.AppToken, platformOwner, map[string]any{"app_token": "mine"}, 400, "app_token"},
		{"a lifetime of zero", tn.Slug, s.AppToken, platformOwner, map[string]any{"seconds_until_expire": 0}, 400, "seconds_until_expire"},
	} {
		r := mint(tt.ref, tt.appToken, tt.token, tt.body)
		if r.Status != tt.want {
			t.Fatalf("%s: got %d, want %d: %s", tt.name, r.Status, tt.want, r.Body)
		}
		testserver.WantErrors(t, r, map[string]string{tt.field: "*"})
	}
	var plain string
	for _, ref := range []string{tn.Slug, tn.ID} {
		r := mint(ref, s.AppToken, platformOwner, map[string]any{"name": "recovery", "seconds_until_expire": 86400})
		if r.Status != 201 || r.JSON["created_by"] != nil || r.String("name") != "recovery" {
			t.Fatalf("mint by %s: got %d %s, want 201 named recovery without created_by", ref, r.Status, r.Body)
		}
		plain = r.String("app_token")
		if !strings.HasPrefix(plain, "lka_"+tn.ID+"_") {
			t.Fatalf("got app_token %.20s…, want one of tenant %s", plain, tn.ID)
		}
	}
	// The tenant is back: its owner logs in with the new token, and its
	// audit log says the platform made it.
	owner := s.Login(t, plain, "owner", "owner-password")
	if n := countAudit(t, s, plain, owner, "app_token.create", "minted by the platform owner "+s.Username); n != 2 {
		t.Errorf("the tenant's audit log has %d platform mints, want 2", n)
	}
	if n := countAudit(t, s, s.AppToken, platformOwner, "tenant.app_token.create", ""); n != 2 {
		t.Errorf("the platform's audit log has %d mints, want 2", n)
	}
}

// countAudit counts the audit records of action (with detail, unless "")
// that the tenant of appToken shows to token.
func countAudit(t *testing.T, s *testserver.Server, appToken, token, action, detail string) int {
	t.Helper()
	r := s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=" + action, AppToken: appToken, Token: token})
	n := 0
	for _, it := range r.JSON["items"].([]any) {
		if rec := it.(map[string]any); detail == "" || rec["detail"] == detail {
			n++
		}
	}
	return n
}
