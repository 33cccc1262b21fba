package apptokens_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// rotater is a tenant with helpers for the rotation tests.
type rotater struct {
	s  *testserver.Server
	tn *testserver.Tenant
}

func newRotater(t *testing.T, o testserver.Options) *rotater {
	s := testserver.StartWith(t, o)
	return &rotater{s: s, tn: s.NewTenant(t, "acme")}
}

func (r *rotater) rotate(t *testing.T, appToken, token, ref string, body any) *testserver.Response {
	t.Helper()
	return r.s.Do(t, testserver.Request{Method: "POST", Path: base + "/" + ref + "/rotate", AppToken: appToken, Token: token, JSON: body})
}

func (r *rotater) create(t *testing.T, body map[string]any) (id, plain string) {
	t.Helper()
	res := r.s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: base, AppToken: r.tn.AppToken, Token: r.tn.OwnerToken, JSON: body})
	return res.String("id"), res.String("app_token")
}

func (r *rotater) get(t *testing.T, id string) *testserver.Response {
	t.Helper()
	return r.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base + "/" + id, AppToken: r.tn.AppToken, Token: r.tn.OwnerToken})
}

// works reports whether plain is accepted as an App-Token.
func (r *rotater) works(t *testing.T, plain string) bool {
	t.Helper()
	return r.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: plain, Token: r.tn.OwnerToken}).Status == http.StatusOK
}

// TestRotate: the successor carries the name and lifetime and names the
// old token; both work during the grace, which may be shortened but not
// lengthened; after it the old token is refused for good with ended_by
// rotation; the audit log has both ids and no secret.
func TestRotate(t *testing.T) {
	r := newRotater(t, testserver.Options{})
	s, tn := r.s, r.tn
	oldID, oldPlain := r.create(t, map[string]any{"name": "sync", "seconds_until_expire": 30 * 86400})
	res := r.rotate(t, tn.AppToken, tn.OwnerToken, oldID, map[string]any{"grace_seconds": 3600})
	if res.Status != http.StatusCreated {
		t.Fatalf("rotate: got %d %s, want 201", res.Status, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	newID, newPlain := res.String("id"), res.String("app_token")
	created, _ := time.Parse(time.RFC3339, res.String("created"))
	expires, _ := time.Parse(time.RFC3339, res.String("expires"))
	if res.String("name") != "sync" || res.JSON["rotated_from"] != oldID || !strings.HasPrefix(newPlain, "lka_"+tn.ID+"_") ||
		expires.Sub(created) != 30*24*time.Hour || res.JSON["ended_by"] != nil || newID == oldID {
		t.Errorf("successor: got %s, want name sync, rotated_from %s, a 30-day life", res.Body, oldID)
	}
	old := r.get(t, oldID)
	oldExpires, _ := time.Parse(time.RFC3339, old.String("expires"))
	if !oldExpires.Equal(created.Add(time.Hour)) || old.JSON["ended_by"] != nil || old.JSON["expired"] != false || old.JSON["rotated_from"] != nil {
		t.Errorf("old token in its grace: got %s, want expiry %v, not ended yet", old.Body, created.Add(time.Hour))
	}
	if !r.works(t, oldPlain) || !r.works(t, newPlain) {
		t.Fatal("during the grace both tokens must work")
	}

	// The grace may be shortened, not lengthened.
	patch := func(seconds int64) *testserver.Response {
		return s.Do(t, testserver.Request{Method: "PATCH", Path: base + "/" + oldID, AppToken: tn.AppToken, Token: tn.OwnerToken,
			JSON: map[string]any{"seconds_until_expire": seconds}})
	}
	testserver.WantErrors(t, patch(7200), map[string]string{"seconds_until_expire": "*"})
	if p := patch(60); p.Status != http.StatusOK {
		t.Fatalf("shortening the grace: got %d %s", p.Status, p.Body)
	}

	s.Clock.Advance(2 * time.Minute)
	if r.works(t, oldPlain) {
		t.Error("the old token works after its grace")
	}
	if !r.works(t, newPlain) {
		t.Error("the successor stopped working")
	}
	if old := r.get(t, oldID); old.JSON["ended_by"] != "rotation" || old.JSON["expired"] != true {
		t.Errorf("old token after its grace: got %s, want expired, ended_by rotation", old.Body)
	}
	list := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base, AppToken: tn.AppToken, Token: tn.OwnerToken})
	shown := map[any]any{}
	for _, it := range list.JSON["items"].([]any) {
		m := it.(map[string]any)
		shown[m["id"]] = m["rotated_from"]
	}
	if shown[newID] != oldID || shown[oldID] != nil {
		t.Errorf("list rotated_from: got %v for the successor and %v for the old token", shown[newID], shown[oldID])
	}
	// Expired is final: no rotation, no re-dating.
	testserver.WantErrors(t, r.rotate(t, tn.AppToken, tn.OwnerToken, oldID, map[string]any{}), map[string]string{"token": "*"})
	testserver.WantErrors(t, patch(60), map[string]string{"seconds_until_expire": "*"})

	audit := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/audit?action=app_token.rotate", AppToken: tn.AppToken, Token: tn.OwnerToken})
	items := audit.JSON["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["target"] != oldID || !strings.Contains(items[0].(map[string]any)["detail"].(string), newID) {
		t.Errorf("audit app_token.rotate: got %s, want one record on %s naming %s", audit.Body, oldID, newID)
	}
	if strings.Contains(string(audit.Body), newPlain) || strings.Contains(string(audit.Body), oldPlain) {
		t.Error("the audit log contains a token string")
	}
}

// TestRotateGraceZero: a rotation by token string with grace 0 ends the
// old token at once, even the tenant's last live app token, used to
// authenticate the rotation itself: its successor is live, so the tenant
// is not locked out. The verification cache (on here) forgets the old
// token at once.
func TestRotateGraceZero(t *testing.T) {
	r := newRotater(t, testserver.Options{CacheTTL: time.Hour})
	tn := r.tn
	res := r.rotate(t, tn.AppToken, tn.OwnerToken, tn.AppToken, map[string]any{"grace_seconds": 0})
	if res.Status != http.StatusCreated {
		t.Fatalf("rotate the last live token: got %d %s, want 201", res.Status, res.Body)
	}
	if r.works(t, tn.AppToken) {
		t.Error("the old token works after a rotation with grace 0")
	}
	newPlain := res.String("app_token")
	if !r.works(t, newPlain) {
		t.Fatal("the successor does not work")
	}
	old := r.s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: base + "/" + res.String("rotated_from"), AppToken: newPlain, Token: tn.OwnerToken})
	if old.JSON["ended_by"] != "rotation" || old.JSON["expired"] != true {
		t.Errorf("old token: got %s, want expired by rotation", old.Body)
	}
}

// TestRotateRefused: bad input, missing or expired tokens, a second
// rotation of one token, and callers that may not rotate change nothing.
func TestRotateRefused(t *testing.T) {
	r := newRotater(t, testserver.Options{})
	s, tn := r.s, r.tn
	id, _ := r.create(t, map[string]any{"name": "keep"})
	for _, tc := range []struct {
		name  string
		ref   string
		body  any
		want  int
		field string
	}{
		{"grace below 0", id, map[string]any{"grace_seconds": -1}, 400, "grace_seconds"},
		{"grace over a week", id, map[string]any{"grace_seconds": 604801}, 400, "grace_seconds"},
		{"grace of the wrong type", id, `{"grace_seconds": "1h"}`, 400, "grace_seconds"},
		{"unknown field", id, map[string]any{"seconds_until_expire": 60}, 400, "seconds_until_expire"},
		{"no body", id, nil, 400, "body"},
		{"malformed id", "nope", map[string]any{}, 400, "token"},
		{"missing token", "6b02a6e5ca87368ce209254d", map[string]any{}, 404, "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.rotate(t, tn.AppToken, tn.OwnerToken, tc.ref, tc.body)
			if res.Status != tc.want {
				t.Fatalf("got %d %s, want %d", res.Status, res.Body, tc.want)
			}
			testserver.WantErrors(t, res, map[string]string{tc.field: "*"})
		})
	}
	s.NewUser(t, tn.AppToken, tn.OwnerToken, "sup", "support")
	s.NewUser(t, tn.AppToken, tn.OwnerToken, "mem", "member")
	adminID := s.NewUser(t, tn.AppToken, tn.OwnerToken, "adm", "admin")
	obo := s.Must(t, http.StatusCreated, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: tn.AppToken, Token: tn.OwnerToken,
		JSON: map[string]any{"user": adminID, "seconds_until_expire": 3600}}).String("token")
	for who, token := range map[string]string{
		"support": s.Login(t, tn.AppToken, "sup", "sup-password"),
		"member":  s.Login(t, tn.AppToken, "mem", "mem-password"),
		"obo":     obo,
	} {
		if res := r.rotate(t, tn.AppToken, token, id, map[string]any{}); res.Status != http.StatusForbidden {
			t.Errorf("%s rotates: got %d %s, want 403", who, res.Status, res.Body)
		}
	}
	if res := r.get(t, id); res.JSON["expires"] == nil || s.Count(t, tn.ID, "app_tokens") != 2 {
		t.Fatalf("refused rotations changed something: %s", res.Body)
	}
	adm := s.Login(t, tn.AppToken, "adm", "adm-password")
	if res := r.rotate(t, tn.AppToken, adm, id, map[string]any{"grace_seconds": 604800}); res.Status != http.StatusCreated {
		t.Fatalf("an admin rotates with the longest grace: got %d %s", res.Status, res.Body)
	}
	testserver.WantErrors(t, r.rotate(t, tn.AppToken, adm, id, map[string]any{}), map[string]string{"token": "*"})
	if n := s.Count(t, tn.ID, "app_tokens"); n != 3 {
		t.Errorf("%d app tokens after one rotation and a refused second, want 3", n)
	}
}

// TestRotateCarriesLimitsAndMetadata: the successor keeps the old token's
// rate limit, external id and metadata (scopes likewise, see carry), and
// shows its own hint.
func TestRotateCarriesLimitsAndMetadata(t *testing.T) {
	r := newRotater(t, testserver.Options{})
	oldID, _ := r.create(t, map[string]any{"name": "reports", "rate_limit": map[string]any{"limit": 100, "seconds": 60},
		"external_id": "cus_42", "meta": map[string]any{"plan": "pro"}})
	res := r.rotate(t, r.tn.AppToken, r.tn.OwnerToken, oldID, map[string]any{})
	if res.Status != http.StatusCreated {
		t.Fatalf("rotate: got %d %s, want 201", res.Status, res.Body)
	}
	old, next := r.get(t, oldID), r.get(t, res.String("id"))
	for _, field := range []string{"rate_limit", "external_id", "meta", "scopes", "name"} {
		a, _ := json.Marshal(old.JSON[field])
		b, _ := json.Marshal(next.JSON[field])
		if string(a) != string(b) || (field != "scopes" && string(a) == "null") {
			t.Errorf("%s: the successor has %s, want %s as the old token", field, b, a)
		}
	}
	if h := next.String("hint"); !strings.HasSuffix(h, res.String("app_token")[len(res.String("app_token"))-4:]) {
		t.Errorf("hint %q does not end in the successor's last four characters", h)
	}
}
