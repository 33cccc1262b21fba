// Package client is the Go client of Latchkey's HTTP API: the client
// generated from the OpenAPI description (package client/api), plus what the
// generator cannot know — the App-Token and Token headers, errors as Go
// values and list pagination.
//
//	c, err := client.New("http://127.0.0.1:8080", client.Credentials{AppToken: app})
//	s, err := c.Login(ctx, "admin", password) // later calls carry the token
//	r, err := c.GetMeWithResponse(ctx)        // r.JSON200 is the *api.User
//	var e *client.Error
//	if errors.As(err, &e) && e.Status == 404 { … e.Fields["user"] … }
//	for u, err := range c.Users(ctx, nil) { … }
//
// Every generated method of api.ClientWithResponses is a method of Client.
// An answer with a status of 400 or more never reaches them: it comes back
// as an *Error, so a nil error means the typed success field (JSON200 or
// JSON201) is set.
package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/client/api"
)

// Credentials are what a Client sends: the App-Token (which app, which
// tenant) and, once logged in, the user Token.
type Credentials struct {
	AppToken string
	Token    string
}

// Client calls one Latchkey server.
type Client struct {
	*api.ClientWithResponses

	mu    sync.Mutex
	creds Credentials
}

// Option changes how New builds a Client.
type Option func(*options)

type options struct{ http *http.Client }

// WithHTTPClient makes the Client send its requests with hc (timeouts,
// proxies, TLS); the default is an http.Client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// New returns a Client of the server at baseURL (e.g. http://127.0.0.1:8080,
// without /api/v1) sending creds.
func New(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	o := options{http: &http.Client{Timeout: 30 * time.Second}}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{creds: creds}
	gen, err := api.NewClientWithResponses(strings.TrimRight(baseURL, "/")+"/api/v1",
		api.WithHTTPClient(errorDoer{o.http}), api.WithRequestEditorFn(c.sign))
	if err != nil {
		return nil, err
	}
	c.ClientWithResponses = gen
	return c, nil
}

// Credentials returns what the Client sends.
func (c *Client) Credentials() Credentials {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.creds
}

// SetToken makes the Client send token as its user Token ("" sends none).
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.creds.Token = token
	c.mu.Unlock()
}

// sign puts the credentials on a request that does not carry its own.
func (c *Client) sign(_ context.Context, req *http.Request) error {
	creds := c.Credentials()
	if creds.AppToken != "" && req.Header.Get("App-Token") == "" {
		req.Header.Set("App-Token", creds.AppToken)
	}
	if creds.Token != "" && req.Header.Get("Token") == "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Token", creds.Token)
	}
	return nil
}

// Login logs username in and makes the Client send the new user token from
// then on. The session's refresh token is in the answer.
func (c *Client) Login(ctx context.Context, username, password string) (*api.Session, error) {
	r, err := c.LoginWithResponse(ctx, api.LoginRequest{Username: &username, Password: &password})
	if err != nil {
		return nil, err
	}
	c.SetToken(r.JSON200.Token)
	return r.JSON200, nil
}

// Error is an answer with a status of 400 or more: the status and the
// server's {"errors": {...}}, every failing field or header with its
// message. Read it with errors.As.
type Error struct {
	Status int
	// Fields maps a field or header name to what is wrong with it.
	Fields map[string]string
	// RetryAfter is the server's Retry-After (429, 503), or 0.
	RetryAfter time.Duration
	// RequestID is the answer's X-Request-Id, for finding it in the logs.
	RequestID string
}

// Error names the status and every field, in a stable order.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "latchkey: %d %s", e.Status, http.StatusText(e.Status))
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
	}
	return b.String()
}

// errorDoer sends requests and turns every answer of 400 or more into an
// *Error, so the generated methods return it as their error.
type errorDoer struct{ hc *http.Client }

func (d errorDoer) Do(req *http.Request) (*http.Response, error) {
	res, err := d.hc.Do(req)
	if err != nil || res.StatusCode < 400 {
		return res, err
	}
	defer res.Body.Close()
	return nil, errorOf(res)
}

// errorOf reads an error answer. A body that is not the {"errors": …}
// shape (a proxy's page, say) is kept, shortened, under the field "body".
func errorOf(res *http.Response) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		e.Fields = env.Errors
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text != "" {
		e.Fields = map[string]string{"body": text}
	}
	return e
}
