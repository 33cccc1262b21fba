package usertokens_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// tokFixture is a tenant "acme" with a user of every role, each logged in, and
// an OBO token that admin1 issued for mem.
type tokFixture struct {
	s      *testserver.Server
	a      *testserver.Tenant
	ids    map[string]string // username → user id
	tokens map[string]string // username (or "obo") → user token
}

// The fixture's users and their roles; "off" is disabled after creation.
var tokFixtureUsers = []struct{ name, role string }{
	{"owner2", "owner"}, {"admin1", "admin"}, {"admin2", "admin"}, {"sup", "support"},
	{"mem", "member"}, {"mem2", "member"}, {"off", "member"},
}

func newTokFixture(t *testing.T, o testserver.Options) *tokFixture {
	t.Helper()
	s := testserver.StartWith(t, o)
	a := s.NewTenant(t, "acme")
	f := &tokFixture{s: s, a: a, ids: map[string]string{"owner": a.OwnerID}, tokens: map[string]string{"owner": a.OwnerToken}}
	for _, u := range tokFixtureUsers {
		f.ids[u.name] = s.NewUser(t, a.AppToken, a.OwnerToken, u.name, u.role)
		if u.name != "off" {
			f.tokens[u.name] = s.Login(t, a.AppToken, u.name, u.name+"-password")
		}
	}
	s.Must(t, http.StatusOK, testserver.Request{Method: "PATCH", Path: "/api/v1/users/" + f.ids["off"],
		AppToken: a.AppToken, Token: a.OwnerToken, JSON: map[string]any{"status": "disabled"}})
	r := f.must(t, http.StatusCreated, "admin1", "POST", "/api/v1/tokens", map[string]any{"user": f.ids["mem"]})
	f.tokens["obo"] = r.String("token")
	return f
}

// do sends a request as who (a username, "obo", or "" for no user token).
func (f *tokFixture) do(t *testing.T, who, method, path string, body any) *testserver.Response {
	t.Helper()
	return f.s.Do(t, testserver.Request{Method: method, Path: path, AppToken: f.a.AppToken, Token: f.tokens[who], JSON: body})
}

func (f *tokFixture) must(t *testing.T, want int, who, method, path string, body any) *testserver.Response {
	t.Helper()
	r := f.do(t, who, method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s as %s: got status %d, want %d; body %s", method, path, who, r.Status, want, r.Body)
	}
	return r
}

// personal issues a personal token for who and returns its secret and id.
func (f *tokFixture) personal(t *testing.T, who string) (secret, id string) {
	t.Helper()
	r := f.must(t, http.StatusCreated, who, "POST", "/api/v1/tokens", map[string]any{})
	return r.String("token"), r.String("id")
}

// tokExpiresOf parses the "expires" of r.
func tokExpiresOf(t *testing.T, r *testserver.Response) time.Time {
	t.Helper()
	e, err := time.Parse(time.RFC3339Nano, r.String("expires"))
	if err != nil {
		t.Fatalf("expires %q: %v", r.String("expires"), err)
	}
	return e
}

// at returns the fixture clock's now plus d, as the store keeps it.
func (f *tokFixture) at(d time.Duration) time.Time {
	return f.s.Clock.Now().UTC().Truncate(time.Millisecond).Add(d)
}

func bodyHas(body []byte, s string) bool { return strings.Contains(string(body), s) }
