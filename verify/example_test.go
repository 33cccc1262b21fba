package verify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/latchkey/latchkey/verify"
	"github.com/latchkey/latchkey/verify/verifytest"
)

// Protect a handler: the middleware answers refused requests itself and
// gives the handler the verified caller.
func Example() {
	latchkey := standIn() // in production: your Latchkey's URL
	defer latchkey.Close()

	v, err := verify.New(verify.Options{URL: latchkey.URL})
	if err != nil {
		panic(err)
	}
	orders := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := verify.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s for %s (%s)", caller.Tenant, caller.Username, caller.Role)
	}))

	show(orders, "lka_demo", "lku_ann")
	show(orders, "lka_demo", "lku_forged")
	show(orders, "", "")
	// Output:
	// 200 orders of acme for ann (member)
	// 401 {"errors":{"Token":"Invalid or expired token."}}
	// 401 {"errors":{"App-Token":"This header is required.","Token":"This header is required."}}
}

// A route that needs a stronger role than the rest.
func ExampleRequireRole() {
	latchkey := standIn()
	defer latchkey.Close()

	v, err := verify.New(verify.Options{URL: latchkey.URL})
	if err != nil {
		panic(err)
	}
	refunds := v.Handler(verify.RequireRole("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "refunded")
	})))

	show(refunds, "lka_demo", "lku_bob") // an admin
	show(refunds, "lka_demo", "lku_ann") // a member
	// Output:
	// 200 refunded
	// 403 {"errors":{"role":"This needs the role admin or a stronger one; the caller's role is member."}}
}

// When Latchkey cannot be reached, requests are refused with 503 and
// Retry-After: never let through.
func ExampleVerifier_Handler_unavailable() {
	latchkey := standIn()
	latchkey.Close() // gone

	v, err := verify.New(verify.Options{URL: latchkey.URL})
	if err != nil {
		panic(err)
	}
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "never reached")
	}))
	w := show(h, "lka_demo", "lku_ann")
	fmt.Println("Retry-After:", w.Header().Get("Retry-After"))
	// Output:
	// 503 {"errors":{"latchkey":"Latchkey is unreachable. Try again shortly."}}
	// Retry-After: 1
}

// Platform services that also take calls from apps without a user (a
// partner's back end) let an App-Token alone through.
func ExampleOptions_userOptional() {
	latchkey := standIn()
	defer latchkey.Close()

	v, err := verify.New(verify.Options{URL: latchkey.URL, UserOptional: true})
	if err != nil {
		panic(err)
	}
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := verify.FromContext(r.Context())
		if !caller.HasUser() {
			fmt.Fprintf(w, "app %s of %s", caller.AppTokenID, caller.Tenant)
			return
		}
		fmt.Fprintf(w, "%s of %s", caller.Username, caller.Tenant)
	}))

	show(h, "lka_demo", "")
	show(h, "lka_demo", "lku_ann")
	// Output:
	// 200 app 6a1f00000000000000000001 of acme
	// 200 ann of acme
}

// show sends GET / with the credentials to h and prints the answer.
func show(h http.Handler, appToken, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if appToken != "" {
		r.Header.Set("App-Token", appToken)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	return w
}

// standIn is a verifytest stand-in for Latchkey that knows the app token
// lka_demo of tenant acme and the user tokens of ann (a member) and bob (an
// admin). The package's tests run against a real Latchkey.
func standIn() *verifytest.Server {
	s := verifytest.NewServer()
	acme := verify.Caller{TenantID: "k3v7x2ab", Tenant: "acme", AppTokenID: "6a1f00000000000000000001",
		Expires: time.Date(2226, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.AddApp("lka_demo", acme)
	for token, user := range map[string]verify.Caller{
		"lku_ann": {UserID: "6a1f00000000000000000002", Username: "ann", Role: "member", TokenID: "6a1f00000000000000000003"},
		"lku_bob": {UserID: "6a1f00000000000000000004", Username: "bob", Role: "admin", TokenID: "6a1f00000000000000000005"},
	} {
		user.TenantID, user.Tenant, user.TokenKind = acme.TenantID, acme.Tenant, "login"
		user.Expires = time.Now().Add(time.Hour)
		s.AddUser(token, user)
	}
	return s
}
