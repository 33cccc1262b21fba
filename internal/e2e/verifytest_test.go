package e2e_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/verify"
	"github.com/latchkey/latchkey/verify/verifytest"
)

// TestAnswersAsLatchkeyDoes sends the same questions to a real Latchkey and
// to a stand-in that knows the same tokens, and compares status, errors,
// the X-Latchkey-* headers and the body.
func TestAnswersAsLatchkeyDoes(t *testing.T) {
	s := testserver.Start(t)
	acme, other := s.NewTenant(t, "acme"), s.NewTenant(t, "other")
	memID := s.NewUser(t, acme.AppToken, acme.OwnerToken, "mem", "member")
	mem := s.Login(t, acme.AppToken, "mem", "mem-password")

	// Teach the stand-in what Latchkey says about each token.
	stand := verifytest.NewServer()
	defer stand.Close()
	// send asks base's /verify with the credentials.
	send := func(base, app, tok, query string, prefer bool) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", base+"/api/v1/verify"+query, nil)
		if app != "" {
			req.Header.Set("App-Token", app)
		}
		if tok != "" {
			req.Header.Set("Token", tok)
		}
		if prefer {
			req.Header.Set("Prefer", "return=minimal")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, body
	}
	ask := func(app, tok, query string) (int, http.Header, []byte) { return send(s.URL, app, tok, query, false) }
	caller := func(app, tok string) verify.Caller {
		_, _, body := ask(app, tok, "?user=optional")
		var c verify.Caller
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	stand.AddApp(acme.AppToken, caller(acme.AppToken, ""))
	stand.AddApp(other.AppToken, caller(other.AppToken, ""))
	stand.AddUser(mem, caller(acme.AppToken, mem))
	stand.AddUser(acme.OwnerToken, caller(acme.AppToken, acme.OwnerToken))
	if c := caller(acme.AppToken, mem); c.UserID != memID {
		t.Fatalf("got %+v", c)
	}

	for _, q := range []struct {
		name, app, tok, query string
		prefer                bool
	}{
		{"valid", acme.AppToken, mem, "", false},
		{"valid, headers only", acme.AppToken, mem, "", true},
		{"owner, role admin", acme.AppToken, acme.OwnerToken, "?role=admin", false},
		{"member, role admin", acme.AppToken, mem, "?role=admin", false},
		{"member, role admin, headers only", acme.AppToken, mem, "?role=admin", true},
		{"nothing", "", "", "", false},
		{"no app token", "", mem, "", false},
		{"no user token", acme.AppToken, "", "", false},
		{"app token alone, user optional", acme.AppToken, "", "?user=optional", false},
		{"unknown app token", "lka_nope", mem, "", false},
		{"unknown user token", acme.AppToken, "lku_nope", "", true},
		{"another tenant's app token", other.AppToken, mem, "", false},
	} {
		wantStatus, wantHeader, wantBody := send(s.URL, q.app, q.tok, q.query, q.prefer)
		gotStatus, gotHeader, gotBody := send(stand.URL, q.app, q.tok, q.query, q.prefer)
		if gotStatus != wantStatus {
			t.Errorf("%s: got %d, Latchkey %d", q.name, gotStatus, wantStatus)
		}
		if g, w := identity(gotHeader), identity(wantHeader); !maps.Equal(g, w) {
			t.Errorf("%s: got headers %v, Latchkey %v", q.name, g, w)
		}
		for _, h := range []string{"WWW-Authenticate", "Preference-Applied", "Cache-Control"} {
			if g, w := gotHeader.Get(h), wantHeader.Get(h); g != w {
				t.Errorf("%s: got %s %q, Latchkey %q", q.name, h, g, w)
			}
		}
		if g, w := normal(t, gotBody), normal(t, wantBody); g != w {
			t.Errorf("%s: got body %s, Latchkey %s", q.name, g, w)
		}
	}
}

func identity(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if strings.HasPrefix(k, "X-Latchkey-") {
			out[k] = h.Get(k)
		}
	}
	return out
}

// normal re-encodes a JSON body with sorted keys and times as instants.
func normal(t *testing.T, body []byte) string {
	t.Helper()
	if len(body) == 0 {
		return ""
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if s, ok := v["expires"].(string); ok {
		at, _ := time.Parse(time.RFC3339Nano, s)
		v["expires"] = at.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPreferAsLatchkeyDoes sends each spelling of Prefer to a real
// Latchkey and to the stand-in (which reads Prefer with a copy of
// internal/prefer's rule, as the verify module may not import the
// server's) and wants the same answer from both: 204 with
// Preference-Applied when return=minimal is asked for, else 200.
func TestPreferAsLatchkeyDoes(t *testing.T) {
	s := testserver.Start(t)
	acme := s.NewTenant(t, "acme")
	stand := verifytest.NewServer()
	defer stand.Close()
	stand.AddApp(acme.AppToken, verify.Caller{TenantID: acme.ID, Tenant: "acme", AppTokenID: "x",
		Expires: time.Now().Add(time.Hour)})
	stand.AddUser(acme.OwnerToken, verify.Caller{TenantID: acme.ID, Tenant: "acme", UserID: acme.OwnerID,
		Username: acme.OwnerName, Role: "owner", TokenKind: "login", Expires: time.Now().Add(time.Hour)})
	send := func(base string, prefer []string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/api/v1/verify", nil)
		req.Header.Set("App-Token", acme.AppToken)
		req.Header.Set("Token", acme.OwnerToken)
		for _, v := range prefer {
			req.Header.Add("Prefer", v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header.Get("Preference-Applied")
	}
	for _, c := range []struct {
		prefer  []string
		minimal bool
	}{
		{[]string{"return=minimal"}, true},
		{[]string{"respond-async, RETURN = minimal; x=1"}, true},
		{[]string{"return=minimal,wait=5"}, true},
		{[]string{"wait=5", "return=minimal"}, true},
		{nil, false},
		{[]string{""}, false},
		{[]string{"return=representation"}, false},
		{[]string{"return=minimalist"}, false},
		{[]string{"wait=5; return=minimal"}, false}, // a parameter of wait, not a preference
	} {
		want := http.StatusOK
		if c.minimal {
			want = http.StatusNoContent
		}
		status, applied := send(s.URL, c.prefer)
		if status != want {
			t.Errorf("Prefer %q: Latchkey answered %d, want %d", c.prefer, status, want)
		}
		if gotStatus, gotApplied := send(stand.URL, c.prefer); gotStatus != status || gotApplied != applied {
			t.Errorf("Prefer %q: the stand-in answered %d %q, Latchkey %d %q", c.prefer, gotStatus, gotApplied, status, applied)
		}
	}
}
