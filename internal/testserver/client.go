package testserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Request is one HTTP request to the server.
type Request struct {
	Method   string
	Path     string // e.g. "/api/v1/token"
	AppToken string
	Token    string
	// JSON is marshalled as the body unless it is a string, which is sent
	// as it is (for malformed bodies).
	JSON   any
	Form   url.Values
	Header map[string]string
}

// Response is the answer, with its body decoded when it is JSON.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Errors returns the {"errors": {...}} of the answer.
func (r *Response) Errors() map[string]any {
	e, _ := r.JSON["errors"].(map[string]any)
	return e
}

// String returns r.JSON[key] as a string.
func (r *Response) String(key string) string {
	s, _ := r.JSON[key].(string)
	return s
}

// Do sends req and returns the answer; transport failures end the test.
func (s *Server) Do(tb testing.TB, req Request) *Response {
	tb.Helper()
	return Send(tb, s.NewRequest(tb, req))
}

// NewRequest builds the HTTP request of req, for tests that look at or
// change it before Send.
func (s *Server) NewRequest(tb testing.TB, req Request) *http.Request {
	tb.Helper()
	var body io.Reader
	ct := ""
	switch {
	case req.Form != nil:
		body, ct = strings.NewReader(req.Form.Encode()), "application/x-www-form-urlencoded"
	case req.JSON != nil:
		if raw, ok := req.JSON.(string); ok {
			body = strings.NewReader(raw)
		} else {
			b, err := json.Marshal(req.JSON)
			if err != nil {
				tb.Fatalf("marshal: %v", err)
			}
			body = bytes.NewReader(b)
		}
		ct = "application/json"
	}
	hr, err := http.NewRequest(req.Method, s.URL+req.Path, body)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if req.AppToken != "" {
		hr.Header.Set("App-Token", req.AppToken)
	}
	if req.Token != "" {
		hr.Header.Set("Token", req.Token)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	return hr
}

// Send sends hr and returns the answer, its JSON decoded; transport
// failures end the test.
func Send(tb testing.TB, hr *http.Request) *Response {
	tb.Helper()
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatalf("%s %s: %v", hr.Method, hr.URL.Path, err)
	}
	defer res.Body.Close()
	out := &Response{Status: res.StatusCode, Header: res.Header}
	out.Body, _ = io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(out.Body) > 0 {
		_ = json.Unmarshal(out.Body, &out.JSON)
	}
	return out
}

// Must sends req and ends the test unless the answer has status want.
func (s *Server) Must(tb testing.TB, want int, req Request) *Response {
	tb.Helper()
	r := s.Do(tb, req)
	if r.Status != want {
		tb.Fatalf("%s %s: got status %d, want %d; body %s", req.Method, req.Path, r.Status, want, r.Body)
	}
	return r
}

// Login logs username in with appToken and returns the user token.
func (s *Server) Login(tb testing.TB, appToken, username, password string) string {
	tb.Helper()
	r := s.Must(tb, http.StatusOK, Request{Method: "POST", Path: "/api/v1/token", AppToken: appToken,
		JSON: map[string]any{"username": username, "password": password}})
	return r.String("token")
}

// OwnerToken logs the platform owner in.
func (s *Server) OwnerToken(tb testing.TB) string {
	tb.Helper()
	return s.Login(tb, s.AppToken, s.Username, s.Password)
}

// Tenant is a tenant made for a test, with its owner logged in.
type Tenant struct {
	ID         string
	Slug       string
	AppToken   string
	OwnerID    string
	OwnerName  string
	OwnerToken string
}

// NewTenant creates a tenant slug through the API with an owner "owner"
// whose password is "owner-password".
func (s *Server) NewTenant(tb testing.TB, slug string) *Tenant {
	tb.Helper()
	r := s.Must(tb, http.StatusCreated, Request{Method: "POST", Path: "/api/v1/tenants", AppToken: s.AppToken,
		Token: s.OwnerToken(tb), JSON: map[string]any{"slug": slug, "name": slug,
			"admin": map[string]any{"username": "owner", "password": "owner-password", "email": "owner@" + slug + ".test"}}})
	t := &Tenant{ID: r.JSON["tenant"].(map[string]any)["id"].(string), Slug: slug, AppToken: r.String("app_token"),
		OwnerID: r.JSON["admin"].(map[string]any)["id"].(string), OwnerName: "owner"}
	t.OwnerToken = s.Login(tb, t.AppToken, "owner", "owner-password")
	return t
}

// NewUser creates a user with role in the tenant of appToken, as the user
// of token, and returns its id. Its password is username + "-password".
func (s *Server) NewUser(tb testing.TB, appToken, token, username, role string) string {
	tb.Helper()
	r := s.Must(tb, http.StatusCreated, Request{Method: "POST", Path: "/api/v1/users", AppToken: appToken, Token: token,
		JSON: map[string]any{"username": username, "password": username + "-password", "email": username + "@example.test", "role": role}})
	return r.String("id")
}

// WantErrors fails t unless r is an {"errors": {...}} answer (and nothing
// else, as JSON) whose fields are exactly want's keys, each with a non-empty
// message equal to want's value where that is neither "" nor "*" (which
// match any message), and unless a 401 names the scheme in WWW-Authenticate.
func WantErrors(tb testing.TB, r *Response, want map[string]string) {
	tb.Helper()
	got := r.Errors()
	if got == nil || len(r.JSON) != 1 {
		tb.Errorf("got body %s, want only {\"errors\": %v}", r.Body, want)
		return
	}
	if len(got) != len(want) {
		tb.Errorf("got errors %v, want fields %v", got, want)
	}
	for k, w := range want {
		g, _ := got[k].(string)
		if g == "" || (w != "" && w != "*" && g != w) {
			tb.Errorf("errors[%q]: got %q, want %q (all: %v)", k, g, w, got)
		}
	}
	if r.Status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != `Token realm="latchkey"` {
		tb.Errorf("401 without WWW-Authenticate: got %q", r.Header.Get("WWW-Authenticate"))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("got Content-Type %q, want JSON", ct)
	}
}

// Samples returns the samples of the metric name on /metrics by their
// labels as written there (`a="x",b="y"`; "" for a metric without labels).
func (s *Server) Samples(tb testing.TB, name string) map[string]float64 {
	tb.Helper()
	body := string(s.Must(tb, http.StatusOK, Request{Method: "GET", Path: "/metrics"}).Body)
	out := map[string]float64{}
	for line := range strings.SplitSeq(body, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		labels, value := "", strings.TrimSpace(rest)
		if rest[0] == '{' {
			labels, value, _ = strings.Cut(rest[1:], "} ")
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			tb.Fatalf("%s: %v", line, err)
		}
		out[labels] = n
	}
	return out
}
