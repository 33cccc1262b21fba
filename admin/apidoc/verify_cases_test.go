package apidoc_test

import (
	"net/url"
	"testing"

	"github.com/latchkey/latchkey/admin/verification"
)

// verifyCases drive /verify (every method, and a path below it) and
// /introspect through their successes and refusals.
func verifyCases(t *testing.T, w *world) {
	k := w.k
	mel := k.s.Login(t, w.app, "mel", "mel-password")
	adam := k.s.Login(t, w.app, "adam", "adam-password")
	for _, m := range verification.VerifyMethods {
		for _, path := range []string{"/verify", "/verify/orders"} {
			k.Do(t, call{Method: m, Path: path, App: w.app, User: mel, Want: 200})
			k.Do(t, call{Method: m, Path: path, App: w.app, User: "lku_nope", Want: 401})
		}
	}
	k.Do(t, call{Method: "GET", Path: "/verify", Want: 401, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/verify", App: w.app, Want: 401})
	k.Do(t, call{Method: "GET", Path: "/verify?user=optional", App: w.app, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/verify?role=admin", App: w.app, User: adam, Want: 200})
	k.Do(t, call{Method: "GET", Path: "/verify?role=admin", App: w.app, User: mel, Want: 403})
	k.Do(t, call{Method: "GET", Path: "/verify?role=root", App: w.app, User: mel, Want: 400, Refused: true})
	k.Do(t, call{Method: "GET", Path: "/verify?page=2", App: w.app, User: mel, Want: 400})
	k.Do(t, call{Method: "GET", Path: "/verify/orders?page=2", App: w.app, User: mel, Want: 200})
	a := k.Do(t, call{Method: "GET", Path: "/verify", App: w.app, User: mel, Want: 204,
		Header: map[string]string{"Prefer": "return=minimal"}})
	if len(a.Body) != 0 || a.Header.Get(verification.HeaderUserID) != w.memID {
		t.Errorf("Prefer: return=minimal: got %d bytes and user %q, want none and %s", len(a.Body), a.Header.Get(verification.HeaderUserID), w.memID)
	}

	form := func(token string) url.Values {
		return url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	}
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, Form: form(mel), Want: 200})
	k.Do(t, call{Method: "POST", Path: "/introspect", Basic: []string{"client", w.app}, Form: form(w.app), Want: 200})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, Form: form(w.platform), Want: 200})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, JSON: map[string]any{"token": mel}, Want: 200})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, Form: url.Values{}, Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, Form: url.Values{"token": {mel}, "scope": {"x"}}, Want: 400})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, JSON: map[string]any{"token": mel, "scope": "x"},
		Want: 400, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, Basic: []string{"client", k.s.AppToken},
		Form: form(mel), Want: 400})
	k.Do(t, call{Method: "POST", Path: "/introspect", Form: form(mel), Want: 401, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: "lka_nope", Form: form(mel), Want: 401})
	k.Do(t, call{Method: "POST", Path: "/introspect", App: w.app, JSON: `{"token":"` + string(make([]byte, 70<<10)) + `"}`,
		Want: 413, Refused: true})
}
