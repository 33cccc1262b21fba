package apidoc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin/apidoc"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// options are openapi3filter's: every violation at once, each naming the
// rule broken rather than printing the whole schema.
func options() *openapi3filter.Options {
	return &openapi3filter.Options{AuthenticationFunc: authenticate, IncludeResponseStatus: true, MultiError: true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}}
}

// loadDoc parses and validates the description with kin-openapi.
func loadDoc(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(apidoc.OpenAPI)
	if err != nil {
		tb.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("openapi.yaml is not a valid OpenAPI 3 description: %v", err)
	}
	return doc
}

// checker sends requests to a real server and holds each request and its
// answer against the description. It remembers which statuses every
// operation was seen to answer, so a test can insist that every operation
// was driven through success and failure.
type checker struct {
	s      *testserver.Server
	doc    *openapi3.T
	router routers.Router
	seen   map[string]map[int]bool // operationId → statuses answered
	times  timesSeen               // the times answers held (checkTimes)
}

func newChecker(tb testing.TB, s *testserver.Server) *checker {
	tb.Helper()
	doc := loadDoc(tb)
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatalf("router: %v", err)
	}
	return &checker{s: s, doc: doc, router: r, seen: map[string]map[int]bool{}}
}

// call is one request and what the server must answer.
type call struct {
	Method string
	Path   string // under /api/v1, with its query
	// App and User are the App-Token and Token headers, when not "".
	App, User string
	// JSON is marshalled as the body, unless it is a string, sent as it is.
	JSON   any
	Form   url.Values
	Header map[string]string
	Basic  []string // username, password
	// Want is the status the server must answer.
	Want int
	// Refused says the request breaks the description (a missing header,
	// an unknown field, a wrong type, …): the description must refuse it as
	// the server does. Otherwise the description must accept it.
	Refused bool
}

// newRequest builds the HTTP request of c.
func (k *checker) newRequest(tb testing.TB, c call) *http.Request {
	tb.Helper()
	req := k.s.NewRequest(tb, testserver.Request{Method: c.Method, Path: "/api/v1" + c.Path, AppToken: c.App,
		Token: c.User, JSON: c.JSON, Form: c.Form, Header: c.Header})
	if c.Basic != nil {
		req.SetBasicAuth(c.Basic[0], c.Basic[1])
	}
	return req
}

// authenticate tells openapi3filter whether a request carries the
// credentials a security scheme names (their values are the server's to
// judge).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "AppToken":
		if r.Header.Get("App-Token") != "" {
			return nil
		}
	case "Token":
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if r.Header.Get("Token") != "" || strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer") {
			return nil
		}
	case "LoginBasic", "ClientBasic":
		if _, _, ok := r.BasicAuth(); ok {
			return nil
		}
	case "LeakKeyID", "LeakSignature":
		if r.Header.Get(in.SecurityScheme.Name) != "" {
			return nil
		}
	}
	return fmt.Errorf("no %s credential", in.SecuritySchemeName)
}

// Do sends c, fails tb unless the answer has status c.Want, and fails it
// for every way the request or the answer disagrees with the description.
func (k *checker) Do(tb testing.TB, c call) *testserver.Response {
	tb.Helper()
	name := c.Method + " /api/v1" + c.Path
	req := k.newRequest(tb, c)
	// The validator reads the body; it gets its own copy of the request.
	check := k.newRequest(tb, c)
	route, params, err := k.router.FindRoute(check)
	if err != nil {
		tb.Fatalf("%s: the description has no operation for it: %v", name, err)
	}
	op := route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: options()}
	switch err := openapi3filter.ValidateRequest(context.Background(), in); {
	case c.Refused && err == nil:
		tb.Errorf("%s (%s): the server refuses this request, but the description accepts it", name, op)
	case !c.Refused && err != nil:
		tb.Errorf("%s (%s): the description refuses this request: %v", name, op, err)
	}

	a := testserver.Send(tb, req)
	if a.Status != c.Want {
		tb.Errorf("%s (%s): got status %d, want %d; body %s", name, op, a.Status, c.Want, a.Body)
	}
	if k.seen[op] == nil {
		k.seen[op] = map[int]bool{}
	}
	k.seen[op][a.Status] = true

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: a.Status, Header: a.Header,
		Options: options()}
	out.SetBodyBytes(a.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		tb.Errorf("%s (%s): the %d answer breaks the description: %v\nbody: %s", name, op, a.Status, err, a.Body)
	}
	k.checkTimes(tb, name, a)
	return a
}

// Must is Do for a call whose answer the test goes on with: it stops the
// test when the status is not c.Want.
func (k *checker) Must(tb testing.TB, c call) *testserver.Response {
	tb.Helper()
	a := k.Do(tb, c)
	if a.Status != c.Want {
		tb.FailNow()
	}
	return a
}

// operations returns "METHOD /path" → operationId for every operation of
// the description, paths without /api/v1.
func operations(doc *openapi3.T) map[string]string {
	ops := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op.OperationID
		}
	}
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([a-z_]+)`)

// TestDescriptionMatchesRouter: every route the router serves under
// /api/v1 is described, and the description has nothing the router lacks.
// A route added without its description fails here, named.
func TestDescriptionMatchesRouter(t *testing.T) {
	described := operations(loadDoc(t))
	s := testserver.Start(t)
	served := map[string]bool{}
	for _, r := range s.App.Routes() {
		if p, ok := strings.CutPrefix(r.Path, "/api/v1"); ok {
			served[r.Method+" "+ginParam.ReplaceAllString(p, "{$1}")] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(served)) {
		if _, ok := described[r]; !ok {
			t.Errorf("route %s /api/v1%s is served but admin/apidoc/openapi.yaml does not describe it",
				strings.Fields(r)[0], strings.Fields(r)[1])
		}
	}
	for _, r := range slices.Sorted(maps.Keys(described)) {
		if !served[r] {
			t.Errorf("admin/apidoc/openapi.yaml describes %s (%s), which the router does not serve", r, described[r])
		}
	}
}

// TestOtherMethodsAnswer405 sends every method a described path does not
// list: the description has no operation for it, and the server answers
// 405 in the shape of the MethodNotAllowed response, with an Allow header
// naming exactly the described methods (and HEAD beside GET).
func TestOtherMethodsAnswer405(t *testing.T) {
	doc := loadDoc(t)
	s := testserver.Start(t)
	k := newChecker(t, s)
	notAllowed := doc.Components.Responses["MethodNotAllowed"].Value
	for path := range doc.Paths.Map() {
		concrete := strings.NewReplacer("{token}", "0123456789abcdef01234567", "{id}", "0123456789abcdef01234567",
			"{tenant}", "platform").Replace(path)
		// A concrete path (/users/me) also matches a templated one
		// (/users/{id}), whose methods then answer it.
		var listed []string
		for other, otherItem := range doc.Paths.Map() {
			if template(other).MatchString(concrete) {
				for m := range otherItem.Operations() {
					if !slices.Contains(listed, m) {
						listed = append(listed, m)
					}
				}
			}
		}
		// HEAD is answered wherever GET is, so Allow names it too;
		// the description lists GET alone.
		allowed := slices.Clone(listed)
		if slices.Contains(listed, "GET") {
			allowed = append(allowed, "HEAD")
		}
		slices.Sort(allowed)
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(listed, m) {
				continue
			}
			req := k.newRequest(t, call{Method: m, Path: concrete})
			if _, _, err := k.router.FindRoute(req); !errors.Is(err, routers.ErrMethodNotAllowed) {
				t.Errorf("%s %s: the description's router says %v, want method not allowed", m, path, err)
			}
			res := testserver.Send(t, req)
			if res.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: got %d, want 405", m, path, res.Status)
				continue
			}
			allow := strings.Split(strings.ReplaceAll(res.Header.Get("Allow"), " ", ""), ",")
			slices.Sort(allow)
			if !slices.Equal(allow, allowed) {
				t.Errorf("%s %s: got Allow %v, want the described methods %v", m, path, allow, allowed)
			}
			if err := validateAnswer(notAllowed, res.Header, res.Body); err != nil {
				t.Errorf("%s %s: the 405 answer breaks the MethodNotAllowed response: %v", m, path, err)
			}
		}
	}
}

// TestDescriptionIsValid: kin-openapi loads and validates the description
// (redocly lint, in .ci/run, is the second, independent validator).
func TestDescriptionIsValid(t *testing.T) { loadDoc(t) }

// TestUnavailableAnswerConforms holds the server's 503 against the
// Unavailable response every store-reading operation names. A 503 needs
// the store to go away, so the answer is made by the same writer the
// server uses (httpx.Errors) for the store's error.
func TestUnavailableAnswerConforms(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.AssignRequestID(), httpx.Errors(zap.NewNop()))
	r.GET("/", func(c *gin.Context) {
		httpx.Fail(c, &errs.Error{Code: errs.Unavailable, Fields: map[string]string{"store": "The store does not answer."}})
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want 503", w.Code)
	}
	if err := validateAnswer(loadDoc(t).Components.Responses["Unavailable"].Value, w.Header(), w.Body.Bytes()); err != nil {
		t.Errorf("the 503 answer breaks the Unavailable response: %v", err)
	}
}

// template returns the regular expression of a path template.
func template(path string) *regexp.Regexp {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "[^/]+"
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile("^" + strings.Join(parts, "/") + "$")
}

// validateAnswer checks headers and a JSON body against a response of the
// description that no operation names.
func validateAnswer(resp *openapi3.Response, header http.Header, body []byte) error {
	for name, h := range resp.Headers {
		v := header.Get(name)
		if v == "" {
			if h.Value.Required {
				return fmt.Errorf("header %s is missing", name)
			}
			continue
		}
		var val any = v
		if h.Value.Schema.Value.Type.Is("integer") {
			var n float64
			if _, err := fmt.Sscan(v, &n); err != nil {
				return fmt.Errorf("header %s: %q is not an integer", name, v)
			}
			val = n
		}
		if err := h.Value.Schema.Value.VisitJSON(val); err != nil {
			return fmt.Errorf("header %s: %w", name, err)
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body %q is not JSON: %w", body, err)
	}
	return resp.Content.Get("application/json").Schema.Value.VisitJSON(v)
}
