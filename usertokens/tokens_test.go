package usertokens_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
)

const malformedID = "One or more IDs are not formatted correctly."

func TestCreateToken(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	other := f.s.NewTenant(t, "globex")
	day := 24 * time.Hour
	tests := []struct {
		name      string
		as        string
		body      any
		want      int
		wantErr   map[string]string
		wantKind  string
		wantUser  string // username
		wantActor string // username, "" for none
		wantTTL   time.Duration
	}{
		{name: "member personal by default", as: "mem", body: map[string]any{}, want: 201,
			wantKind: "personal", wantUser: "mem", wantTTL: day},
		{name: "no body at all", as: "mem", want: 400, // {} means the defaults; nothing may be a lost body
			wantErr: map[string]string{"body": "The body is empty: send a JSON object ({} where every field is optional)."}},
		{name: "member names own id", as: "mem", body: map[string]any{"user": "@mem"}, want: 201,
			wantKind: "personal", wantUser: "mem", wantTTL: day},
		{name: "support personal with seconds", as: "sup", body: map[string]any{"seconds_until_expire": 60, "name": "ci"},
			want: 201, wantKind: "personal", wantUser: "sup", wantTTL: time.Minute},
		{name: "empty user is the caller", as: "sup", body: map[string]any{"user": ""}, want: 201,
			wantKind: "personal", wantUser: "sup", wantTTL: day},
		{name: "admin obo for member", as: "admin1", body: map[string]any{"user": "@mem", "seconds_until_expire": 3600},
			want: 201, wantKind: "obo", wantUser: "mem", wantActor: "admin1", wantTTL: time.Hour},
		{name: "admin obo for admin", as: "admin1", body: map[string]any{"user": "@admin2"}, want: 201,
			wantKind: "obo", wantUser: "admin2", wantActor: "admin1", wantTTL: day},
		{name: "admin obo for support", as: "admin1", body: map[string]any{"user": "@sup"}, want: 201,
			wantKind: "obo", wantUser: "sup", wantActor: "admin1", wantTTL: day},
		{name: "owner obo for owner", as: "owner", body: map[string]any{"user": "@owner2"}, want: 201,
			wantKind: "obo", wantUser: "owner2", wantActor: "owner", wantTTL: day},
		{name: "the maximum itself", as: "owner", body: map[string]any{"user": "@admin1", "seconds_until_expire": 90 * 86400},
			want: 201, wantKind: "obo", wantUser: "admin1", wantActor: "owner", wantTTL: 90 * day},
		{name: "admin cannot obo an owner", as: "admin1", body: map[string]any{"user": "@owner"}, want: 403,
			wantErr: map[string]string{"user": ""}},
		{name: "support cannot obo", as: "sup", body: map[string]any{"user": "@mem"}, want: 403,
			wantErr: map[string]string{"permission": ""}},
		{name: "member cannot obo", as: "mem", body: map[string]any{"user": "@mem2"}, want: 403,
			wantErr: map[string]string{"permission": ""}},
		{name: "obo token cannot obo", as: "obo", body: map[string]any{"user": "@mem2"}, want: 403,
			wantErr: map[string]string{"token": "An on-behalf-of token cannot do this."}},
		{name: "obo token cannot mint a personal token", as: "obo", body: map[string]any{}, want: 403,
			wantErr: map[string]string{"token": "An on-behalf-of token cannot do this."}},
		{name: "malformedID id", as: "admin1", body: map[string]any{"user": "52c5fc24a64c9efc0f25353"}, want: 400,
			wantErr: map[string]string{"user": malformedID}},
		{name: "malformedID id from a member", as: "mem", body: map[string]any{"user": "me"}, want: 400,
			wantErr: map[string]string{"user": malformedID}},
		{name: "user of wrong type", as: "admin1", body: map[string]any{"user": 5}, want: 400,
			wantErr: map[string]string{"user": ""}},
		{name: "unknown user", as: "admin1", body: map[string]any{"user": ids.New().Hex()}, want: 404,
			wantErr: map[string]string{"user": ""}},
		{name: "another tenant's user", as: "owner", body: map[string]any{"user": other.OwnerID}, want: 404,
			wantErr: map[string]string{"user": ""}},
		{name: "disabled user", as: "admin1", body: map[string]any{"user": "@off"}, want: 409,
			wantErr: map[string]string{"user": ""}},
		{name: "zero seconds", as: "mem", body: map[string]any{"seconds_until_expire": 0}, want: 400,
			wantErr: map[string]string{"seconds_until_expire": ""}},
		{name: "negative seconds", as: "mem", body: map[string]any{"seconds_until_expire": -1}, want: 400,
			wantErr: map[string]string{"seconds_until_expire": ""}},
		{name: "over the maximum", as: "mem", body: map[string]any{"seconds_until_expire": 90*86400 + 1}, want: 400,
			wantErr: map[string]string{"seconds_until_expire": "Must be at most 90 days (the tenant's maximum)."}},
		{name: "every bad field at once", as: "admin1",
			body: map[string]any{"user": "nope", "seconds_until_expire": -5, "name": strings.Repeat("n", 201)}, want: 400,
			wantErr: map[string]string{"user": malformedID, "seconds_until_expire": "", "name": ""}},
		{name: "client chooses the token", as: "admin1", body: map[string]any{"token": "lku_mine"}, want: 400,
			wantErr: map[string]string{"token": ""}},
		{name: "client chooses the id", as: "admin1", body: map[string]any{"id": ids.New().Hex()}, want: 400,
			wantErr: map[string]string{"id": ""}},
		{name: "unknown field", as: "mem", body: map[string]any{"refresh_token": "x"}, want: 400,
			wantErr: map[string]string{"refresh_token": ""}},
		{name: "no user token", as: "", body: map[string]any{}, want: 401, wantErr: map[string]string{"Token": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if m, ok := body.(map[string]any); ok {
				if u, ok := m["user"].(string); ok && strings.HasPrefix(u, "@") {
					m["user"] = f.ids[u[1:]]
				}
			}
			r := f.do(t, tt.as, "POST", "/api/v1/tokens/", body)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if tt.want != http.StatusCreated {
				testserver.WantErrors(t, r, tt.wantErr)
				return
			}
			if got := r.String("kind"); got != tt.wantKind {
				t.Errorf("kind: got %q, want %q", got, tt.wantKind)
			}
			if got, want := r.String("user"), f.ids[tt.wantUser]; got != want {
				t.Errorf("user: got %q, want %q", got, want)
			}
			wantActor := any(nil)
			if tt.wantActor != "" {
				wantActor = f.ids[tt.wantActor]
			}
			if got := r.JSON["actor"]; got != wantActor {
				t.Errorf("actor: got %v, want %v", got, wantActor)
			}
			if got, want := tokExpiresOf(t, r), f.at(tt.wantTTL); !got.Equal(want) {
				t.Errorf("expires: got %v, want %v", got, want)
			}
			if !strings.HasPrefix(r.String("token"), "lku_"+f.a.ID+"_") {
				t.Errorf("token: got %q, want an lku_ token of tenant %s", r.String("token"), f.a.ID)
			}
			if _, err := ids.Parse(r.String("id")); err != nil {
				t.Errorf("id: got %q, want a 24-hex id", r.String("id"))
			}
			if _, ok := r.JSON["refresh_token"]; ok {
				t.Errorf("a %s token came with a refresh token", tt.wantKind)
			}
		})
	}
}

// TestIssuedTokenActs checks that a personal token acts as its user and an
// OBO token as its user on behalf of its actor, with the actor's rights as
// the cap.
func TestIssuedTokenActs(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	tests := []struct {
		name      string
		as        string // the issuer
		user      string // "" for a personal token
		wantActor string
		// wantAudit is the status of GET /audit with the new token.
		wantAudit int
	}{
		{name: "personal of member", as: "mem", wantAudit: 403},
		{name: "personal of support", as: "sup", wantAudit: 200},
		{name: "obo for member by admin", as: "admin1", user: "mem", wantActor: "admin1", wantAudit: 403},
		{name: "obo for support by admin", as: "admin1", user: "sup", wantActor: "admin1", wantAudit: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{}
			if tt.user != "" {
				body["user"] = f.ids[tt.user]
			}
			tok := f.must(t, 201, tt.as, "POST", "/api/v1/tokens", body).String("token")
			want := tt.user
			if want == "" {
				want = tt.as
			}
			me := f.s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/users/me", AppToken: f.a.AppToken, Token: tok})
			if got := me.String("id"); got != f.ids[want] {
				t.Errorf("users/me: got %s, want %s (%s)", got, f.ids[want], want)
			}
			cur := f.s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: tok})
			wantActor := any(nil)
			if tt.wantActor != "" {
				wantActor = f.ids[tt.wantActor]
			}
			if got := cur.JSON["actor"]; got != wantActor {
				t.Errorf("GET /token actor: got %v, want %v", got, wantActor)
			}
			r := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/audit", AppToken: f.a.AppToken, Token: tok})
			if r.Status != tt.wantAudit {
				t.Errorf("GET /audit: got %d, want %d", r.Status, tt.wantAudit)
			}
		})
	}
}

func TestListTokens(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	// mem: a login token, the fixture's OBO token and two personal tokens,
	// one of them expired.
	_, memLive := f.personal(t, "mem")
	_, memDead := f.personal(t, "mem")
	f.must(t, 200, "mem", "PATCH", "/api/v1/tokens/"+memDead, map[string]any{"seconds_until_expire": -1})
	_, supLive := f.personal(t, "sup")

	ids := func(r *testserver.Response) []string {
		var out []string
		for _, it := range r.JSON["items"].([]any) {
			m := it.(map[string]any)
			if _, ok := m["token"]; ok {
				t.Errorf("a list item carries a secret: %v", m)
			}
			out = append(out, m["id"].(string))
		}
		return out
	}
	usersOf := func(r *testserver.Response) map[string]bool {
		out := map[string]bool{}
		for _, it := range r.JSON["items"].([]any) {
			out[it.(map[string]any)["user"].(string)] = true
		}
		return out
	}
	tests := []struct {
		name    string
		as      string
		query   string
		want    int
		wantErr map[string]string
		check   func(t *testing.T, r *testserver.Response)
	}{
		{name: "member sees only own", as: "mem", want: 200, check: func(t *testing.T, r *testserver.Response) {
			if got := usersOf(r); len(got) != 1 || !got[f.ids["mem"]] {
				t.Errorf("users in the list: got %v, want only mem", got)
			}
			if got := len(ids(r)); got != 4 {
				t.Errorf("items: got %d, want 4 (login, obo, two personal)", got)
			}
		}},
		{name: "member asking for another user gets nothing", as: "mem", query: "?user=" + f.ids["sup"], want: 200,
			check: func(t *testing.T, r *testserver.Response) {
				if got := ids(r); len(got) != 0 {
					t.Errorf("items: got %v, want none", got)
				}
			}},
		{name: "support sees everyone", as: "sup", want: 200, check: func(t *testing.T, r *testserver.Response) {
			if got := usersOf(r); !got[f.ids["mem"]] || !got[f.ids["sup"]] || !got[f.ids["admin1"]] {
				t.Errorf("users in the list: got %v, want mem, sup and admin1 among them", got)
			}
		}},
		{name: "newest first", as: "owner", query: "?user=" + f.ids["mem"], want: 200, check: func(t *testing.T, r *testserver.Response) {
			got := ids(r)
			if len(got) != 4 || got[0] != memDead || got[1] != memLive {
				t.Errorf("items: got %v, want %s, %s first", got, memDead, memLive)
			}
		}},
		{name: "kind filter", as: "admin1", query: "?kind=obo", want: 200, check: func(t *testing.T, r *testserver.Response) {
			for _, it := range r.JSON["items"].([]any) {
				if k := it.(map[string]any)["kind"]; k != "obo" {
					t.Errorf("kind: got %v, want obo", k)
				}
			}
			if got := len(ids(r)); got != 1 {
				t.Errorf("items: got %d, want 1", got)
			}
		}},
		{name: "active=false", as: "mem", query: "?active=false", want: 200, check: func(t *testing.T, r *testserver.Response) {
			if got := ids(r); len(got) != 1 || got[0] != memDead {
				t.Errorf("items: got %v, want [%s]", got, memDead)
			}
		}},
		{name: "active=true with kind", as: "sup", query: "?active=true&kind=personal", want: 200,
			check: func(t *testing.T, r *testserver.Response) {
				got := ids(r)
				if len(got) != 2 || got[0] != supLive || got[1] != memLive {
					t.Errorf("items: got %v, want [%s %s]", got, supLive, memLive)
				}
			}},
		{name: "bad filters all at once", as: "sup", query: "?user=x&kind=refresh&active=yes", want: 400,
			wantErr: map[string]string{"user": malformedID, "kind": "", "active": ""}},
		{name: "bad active", as: "mem", query: "?active=1", want: 400, wantErr: map[string]string{"active": ""}},
		{name: "bad limit", as: "mem", query: "?limit=501", want: 400, wantErr: map[string]string{"limit": ""}},
		{name: "bad cursor", as: "mem", query: "?cursor=zz", want: 400, wantErr: map[string]string{"cursor": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.as, "GET", "/api/v1/tokens"+tt.query, nil)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if tt.want != 200 {
				testserver.WantErrors(t, r, tt.wantErr)
				return
			}
			tt.check(t, r)
		})
	}

	t.Run("pages", func(t *testing.T) {
		var all []string
		path := "/api/v1/tokens/?user=" + f.ids["mem"] + "&limit=3"
		for range 3 {
			r := f.must(t, 200, "sup", "GET", path, nil)
			all = append(all, ids(r)...)
			next, _ := r.JSON["next_cursor"].(string)
			if next == "" {
				if r.JSON["next_cursor"] != nil {
					t.Errorf("next_cursor: got %v, want null", r.JSON["next_cursor"])
				}
				break
			}
			path = "/api/v1/tokens?user=" + f.ids["mem"] + "&limit=3&cursor=" + next
		}
		if len(all) != 4 || all[0] != memDead || all[1] != memLive {
			t.Errorf("paged items: got %v, want 4 starting with %s, %s", all, memDead, memLive)
		}
	})
}

func TestGetToken(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	other := f.s.NewTenant(t, "globex")
	memSecret, memID := f.personal(t, "mem")
	_, otherID := func() (string, string) {
		r := f.s.Must(t, 201, testserver.Request{Method: "POST", Path: "/api/v1/tokens", AppToken: other.AppToken,
			Token: other.OwnerToken, JSON: map[string]any{}})
		return r.String("token"), r.String("id")
	}()
	login := f.s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
		JSON: map[string]any{"username": "mem", "password": "mem-password"}})
	tests := []struct {
		name    string
		as      string
		ref     string
		want    int
		wantErr map[string]string
		wantID  string
	}{
		{name: "own by id", as: "mem", ref: memID, want: 200, wantID: memID},
		{name: "own by token string", as: "mem", ref: memSecret, want: 200, wantID: memID},
		{name: "support by id", as: "sup", ref: memID, want: 200, wantID: memID},
		{name: "support by leaked string", as: "sup", ref: memSecret, want: 200, wantID: memID},
		{name: "obo token sees its user's token", as: "obo", ref: memID, want: 200, wantID: memID},
		{name: "member on another's token", as: "mem2", ref: memID, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "member on another's string", as: "mem2", ref: memSecret, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "unknown id", as: "owner", ref: ids.New().Hex(), want: 404, wantErr: map[string]string{"token": ""}},
		{name: "another tenant's id", as: "owner", ref: otherID, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "a refresh token string", as: "owner", ref: login.String("refresh_token"), want: 404,
			wantErr: map[string]string{"token": ""}},
		{name: "an app token string", as: "owner", ref: f.a.AppToken, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "malformedID", as: "owner", ref: "12345", want: 400, wantErr: map[string]string{"token": malformedID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.as, "GET", "/api/v1/tokens/"+tt.ref, nil)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if tt.want != 200 {
				testserver.WantErrors(t, r, tt.wantErr)
				return
			}
			if got := r.String("id"); got != tt.wantID {
				t.Errorf("id: got %s, want %s", got, tt.wantID)
			}
			if bodyHas(r.Body, memSecret) {
				t.Errorf("the answer contains the token string")
			}
		})
	}
}

func TestSetTokenExpiry(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	tests := []struct {
		name    string
		as      string
		owner   string // whose token is re-dated
		seconds any
		byText  bool // name the token by its string
		want    int
		wantErr map[string]string
	}{
		{name: "member extends own", as: "mem", owner: "mem", seconds: 7200, want: 200},
		{name: "member expires own by string", as: "mem", owner: "mem", seconds: -1, byText: true, want: 200},
		{name: "member on another's", as: "mem", owner: "mem2", seconds: -1, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "support expires another's", as: "sup", owner: "mem", seconds: -1, want: 200},
		{name: "support expires with zero", as: "sup", owner: "admin1", seconds: 0, want: 200},
		{name: "support expires a leaked string", as: "sup", owner: "owner", seconds: -100, byText: true, want: 200},
		{name: "support cannot extend another's", as: "sup", owner: "mem", seconds: 60, want: 403,
			wantErr: map[string]string{"seconds_until_expire": ""}},
		{name: "support extends own", as: "sup", owner: "sup", seconds: 60, want: 200},
		{name: "admin extends another's", as: "admin1", owner: "mem", seconds: 60, want: 200},
		{name: "admin extends an owner's", as: "admin1", owner: "owner", seconds: 60, want: 200},
		{name: "obo token acts as member", as: "obo", owner: "mem2", seconds: -1, want: 404, wantErr: map[string]string{"token": ""}},
		{name: "obo token on its user's token", as: "obo", owner: "mem", seconds: 60, want: 200},
		{name: "over the maximum", as: "owner", owner: "mem", seconds: 90*86400 + 1, want: 400,
			wantErr: map[string]string{"seconds_until_expire": "Must be at most 90 days (the tenant's maximum)."}},
		{name: "missing seconds", as: "owner", owner: "mem", want: 400, wantErr: map[string]string{"seconds_until_expire": ""}},
		{name: "seconds of wrong type", as: "owner", owner: "mem", seconds: "60", want: 400,
			wantErr: map[string]string{"seconds_until_expire": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, id := f.personal(t, tt.owner)
			ref := id
			if tt.byText {
				ref = secret
			}
			body := map[string]any{}
			if tt.seconds != nil {
				body["seconds_until_expire"] = tt.seconds
			}
			r := f.do(t, tt.as, "PATCH", "/api/v1/tokens/"+ref, body)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			use := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: secret})
			if tt.want != 200 {
				testserver.WantErrors(t, r, tt.wantErr)
				if use.Status != 200 {
					t.Errorf("a refused change still stopped the token: %d", use.Status)
				}
				return
			}
			n := int64(tt.seconds.(int))
			wantExp := f.at(max(time.Duration(n)*time.Second, 0))
			if got := tokExpiresOf(t, r); !got.Equal(wantExp) {
				t.Errorf("expires: got %v, want %v", got, wantExp)
			}
			wantUse := 200
			if n <= 0 {
				wantUse = 401
			}
			if use.Status != wantUse {
				t.Errorf("using the token afterwards: got %d, want %d", use.Status, wantUse)
			}
			if got, want := r.JSON["expired"], n <= 0; got != want {
				t.Errorf("expired: got %v, want %v", got, want)
			}
		})
	}

	t.Run("an expired token stays expired", func(t *testing.T) {
		secret, id := f.personal(t, "mem")
		f.must(t, 200, "sup", "PATCH", "/api/v1/tokens/"+secret, map[string]any{"seconds_until_expire": -1})
		r := f.must(t, 409, "owner", "PATCH", "/api/v1/tokens/"+id, map[string]any{"seconds_until_expire": 3600})
		testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": ""})
		f.must(t, 200, "owner", "PATCH", "/api/v1/tokens/"+id, map[string]any{"seconds_until_expire": -1})
	})

	t.Run("expiring a login token ends its refresh token", func(t *testing.T) {
		login := f.s.Must(t, 200, testserver.Request{Method: "POST", Path: "/api/v1/token", AppToken: f.a.AppToken,
			JSON: map[string]any{"username": "mem2", "password": "mem2-password"}})
		f.must(t, 200, "sup", "PATCH", "/api/v1/tokens/"+login.String("id"), map[string]any{"seconds_until_expire": -1})
		f.s.Clock.Advance(time.Millisecond)
		r := f.s.Do(t, testserver.Request{Method: "POST", Path: "/api/v1/token/refresh", AppToken: f.a.AppToken,
			JSON: map[string]any{"refresh_token": login.String("refresh_token")}})
		if r.Status == http.StatusNotFound {
			t.Skip("POST /token/refresh is not served yet")
		}
		if r.Status != http.StatusUnauthorized {
			t.Errorf("refresh after expiry: got %d, want 401; body %s", r.Status, r.Body)
		}
	})
}

func TestDeleteToken(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	tests := []struct {
		name    string
		as      string
		owner   string
		byText  bool
		want    int
		wantErr map[string]string
	}{
		{name: "member deletes own", as: "mem", owner: "mem", want: 204},
		{name: "member deletes own by string", as: "mem", owner: "mem", byText: true, want: 204},
		{name: "member on another's", as: "mem", owner: "mem2", want: 404, wantErr: map[string]string{"token": ""}},
		{name: "support deletes another's by string", as: "sup", owner: "admin1", byText: true, want: 204},
		{name: "admin deletes an owner's", as: "admin1", owner: "owner", want: 204},
		{name: "obo token on another's", as: "obo", owner: "mem2", want: 404, wantErr: map[string]string{"token": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, id := f.personal(t, tt.owner)
			ref := id
			if tt.byText {
				ref = secret
			}
			r := f.do(t, tt.as, "DELETE", "/api/v1/tokens/"+ref, nil)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			use := f.s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: secret})
			if tt.want != 204 {
				testserver.WantErrors(t, r, tt.wantErr)
				if use.Status != 200 {
					t.Errorf("a refused delete still stopped the token: %d", use.Status)
				}
				return
			}
			if len(r.Body) != 0 {
				t.Errorf("204 with a body: %s", r.Body)
			}
			if use.Status != 401 {
				t.Errorf("using the deleted token: got %d, want 401", use.Status)
			}
			if again := f.do(t, "owner", "GET", "/api/v1/tokens/"+id, nil); again.Status != 404 {
				t.Errorf("GET after delete: got %d, want 404", again.Status)
			}
		})
	}

	t.Run("PUT is 405", func(t *testing.T) {
		_, id := f.personal(t, "mem")
		r := f.must(t, 405, "owner", "PUT", "/api/v1/tokens/"+id+"/", map[string]any{"seconds_until_expire": 5})
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "PATCH") || !strings.Contains(allow, "DELETE") {
			t.Errorf("Allow: got %q, want GET, PATCH and DELETE", allow)
		}
	})
}

func TestExpireUserTokens(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	tests := []struct {
		name    string
		as      string
		user    string // a username, or a raw id with prefix "="
		want    int
		wantErr map[string]string
		wantN   int // tokens that should have been expired, -1: don't check
	}{
		{name: "member on another", as: "mem2", user: "mem", want: 403, wantErr: map[string]string{"permission": ""}},
		{name: "obo token on another", as: "obo", user: "mem2", want: 403, wantErr: map[string]string{"permission": ""}},
		{name: "malformedID id", as: "sup", user: "=xyz", want: 404, wantErr: map[string]string{"user": "No such user."}}, // a name, not an id
		{name: "unknown user", as: "sup", user: "=" + ids.New().Hex(), want: 404, wantErr: map[string]string{"user": ""}},
		// mem: a login token, the OBO token, and the two made below.
		{name: "support on a member", as: "sup", user: "mem", want: 200, wantN: 4},
		{name: "nothing left to expire", as: "admin1", user: "mem", want: 200, wantN: 0},
		{name: "member on self", as: "mem2", user: "mem2", want: 200, wantN: 3},
	}
	for _, name := range []string{"mem", "mem2"} {
		f.personal(t, name)
		f.personal(t, name)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.ids[tt.user]
			if raw, ok := strings.CutPrefix(tt.user, "="); ok {
				id = raw
			}
			r := f.do(t, tt.as, "POST", "/api/v1/users/"+id+"/expire_tokens/", nil)
			if r.Status != tt.want {
				t.Fatalf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if tt.want != 200 {
				testserver.WantErrors(t, r, tt.wantErr)
				return
			}
			if got := r.JSON["expired"]; got != float64(tt.wantN) {
				t.Errorf("expired: got %v, want %d", got, tt.wantN)
			}
			live := f.must(t, 200, "owner", "GET", "/api/v1/tokens?active=true&user="+id, nil)
			if items := live.JSON["items"].([]any); len(items) != 0 {
				t.Errorf("live tokens left: %d", len(items))
			}
		})
	}
	if r := f.do(t, "mem", "GET", "/api/v1/token", nil); r.Status != 401 {
		t.Errorf("mem's login token after expire_tokens: got %d, want 401", r.Status)
	}
	if r := f.do(t, "obo", "GET", "/api/v1/token", nil); r.Status != 401 {
		t.Errorf("the OBO token for mem after expire_tokens: got %d, want 401", r.Status)
	}
	if r := f.do(t, "mem2", "GET", "/api/v1/token", nil); r.Status != 401 {
		t.Errorf("mem2's own token after expiring its own tokens: got %d, want 401", r.Status)
	}
}

// TestChangesReachTheCache runs with the verification cache on: every change
// must be refused from the next request on, not after the cache TTL.
func TestChangesReachTheCache(t *testing.T) {
	f := newTokFixture(t, testserver.Options{CacheTTL: time.Hour})
	tests := []struct {
		name   string
		change func(t *testing.T, secret, id string)
	}{
		{name: "expire by id", change: func(t *testing.T, _, id string) {
			f.must(t, 200, "sup", "PATCH", "/api/v1/tokens/"+id, map[string]any{"seconds_until_expire": -1})
		}},
		{name: "expire by string", change: func(t *testing.T, secret, _ string) {
			f.must(t, 200, "sup", "PATCH", "/api/v1/tokens/"+secret, map[string]any{"seconds_until_expire": -1})
		}},
		{name: "delete", change: func(t *testing.T, _, id string) {
			f.must(t, 204, "sup", "DELETE", "/api/v1/tokens/"+id, nil)
		}},
		{name: "expire_tokens", change: func(t *testing.T, _, _ string) {
			f.must(t, 200, "sup", "POST", "/api/v1/users/"+f.ids["mem2"]+"/expire_tokens", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, id := f.personal(t, "mem2")
			get := testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: secret}
			f.s.Must(t, 200, get) // now cached
			tt.change(t, secret, id)
			if r := f.s.Do(t, get); r.Status != 401 {
				t.Errorf("next request: got %d, want 401", r.Status)
			}
		})
	}
}

func TestTokenAudit(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	secret, id := f.personal(t, "mem")
	f.must(t, 200, "obo", "PATCH", "/api/v1/tokens/"+id, map[string]any{"seconds_until_expire": 60})
	f.must(t, 200, "sup", "PATCH", "/api/v1/tokens/"+secret, map[string]any{"seconds_until_expire": -1})
	f.must(t, 204, "sup", "DELETE", "/api/v1/tokens/"+id, nil)
	f.must(t, 200, "admin1", "POST", "/api/v1/users/"+f.ids["mem2"]+"/expire_tokens", nil)

	r := f.must(t, 200, "owner", "GET", "/api/v1/audit?limit=500", nil)
	if bodyHas(r.Body, secret) || bodyHas(r.Body, f.tokens["obo"]) {
		t.Fatalf("the audit log contains a token string")
	}
	type rec struct{ action, user, actor, target string }
	var got []rec
	for _, it := range r.JSON["items"].([]any) {
		m := it.(map[string]any)
		a, _ := m["actor"].(string)
		u, _ := m["user"].(string)
		got = append(got, rec{m["action"].(string), u, a, m["target"].(string)})
	}
	oboID := ""
	for _, g := range got {
		if g.action == "token.create" && g.user == f.ids["admin1"] {
			oboID = g.target
		}
	}
	if oboID == "" {
		t.Errorf("no token.create record for the fixture's OBO token; got %v", got)
	}
	want := []rec{
		{"token.create", f.ids["mem"], "", id},
		{"token.expiry", f.ids["mem"], f.ids["admin1"], id}, // made with the OBO token
		{"token.expiry", f.ids["sup"], "", id},
		{"token.delete", f.ids["sup"], "", id},
		{"user.expire_tokens", f.ids["admin1"], "", f.ids["mem2"]},
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no audit record %+v; got %v", w, got)
		}
	}
}

// An OBO token cannot make itself (or any token) live longer: it was
// issued for one day, and a request made with it may shorten or expire,
// never extend — it "cannot extend itself beyond the expiry it was
// issued with".
func TestOBOTokenCannotExtend(t *testing.T) {
	f := newTokFixture(t, testserver.Options{})
	obo := f.must(t, 201, "admin1", "POST", "/api/v1/tokens", map[string]any{"user": f.ids["mem"], "seconds_until_expire": 86400})
	tok, id := obo.String("token"), obo.String("id")
	call := func(method, path string, seconds int64) *testserver.Response {
		return f.s.Do(t, testserver.Request{Method: method, Path: path, AppToken: f.a.AppToken, Token: tok,
			JSON: map[string]any{"seconds_until_expire": seconds}})
	}
	for name, r := range map[string]*testserver.Response{
		"PATCH /token to 90 days":       call("PATCH", "/api/v1/token", 90*86400),
		"PATCH /tokens/{own} to 2 days": call("PATCH", "/api/v1/tokens/"+id, 2*86400),
	} {
		if r.Status != 403 {
			t.Errorf("%s: got %d %s, want 403", name, r.Status, r.Body)
			continue
		}
		testserver.WantErrors(t, r, map[string]string{"seconds_until_expire": ""})
	}
	cur := f.s.Must(t, 200, testserver.Request{Method: "GET", Path: "/api/v1/token", AppToken: f.a.AppToken, Token: tok})
	if got, want := tokExpiresOf(t, cur), f.at(24*time.Hour); !got.Equal(want) {
		t.Errorf("expires after the refused extensions: got %v, want %v", got, want)
	}
	// Shortening is allowed.
	if r := call("PATCH", "/api/v1/token", 3600); r.Status != 200 {
		t.Errorf("shortening to an hour: got %d %s, want 200", r.Status, r.Body)
	}
	if r := call("PATCH", "/api/v1/token", 7200); r.Status != 403 {
		t.Errorf("extending back to two hours: got %d, want 403", r.Status)
	}
}
