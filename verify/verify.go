// Package verify protects a Go service with Latchkey: net/http middleware
// that asks a Latchkey's /api/v1/verify who is calling, with the App-Token
// and user token (Token, or Authorization: Token|Bearer) the request
// carries, and puts the answer in the request's context as a *Caller.
//
//	v, err := verify.New(verify.Options{URL: "http://127.0.0.1:8080"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("/orders", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		caller, _ := verify.FromContext(r.Context())
//		fmt.Fprintf(w, "hello %s of %s\n", caller.Username, caller.Tenant)
//	})))
//
// Requests that Latchkey refuses are answered by the middleware itself, in
// Latchkey's own shape ({"errors": {"<header>": "<message>"}}): 401 for a
// missing, invalid or expired credential, 403 for a role that is too weak,
// 503 (with Retry-After) when Latchkey cannot be reached. Answers are cached
// for at most Options.TTL, keyed by a SHA-256 of the credentials (the token
// strings themselves are never kept), in a cache of bounded size; keep TTL
// at or below Latchkey's cache.ttl so a revoked token stops working within
// twice that bound. The package imports only the standard library; the Gin
// adapter is in the ginverify sub-package.
package verify

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultTTL     = 2 * time.Second
	DefaultSize    = 10000
	DefaultTimeout = 5 * time.Second
)

// Options configure a Verifier.
type Options struct {
	// URL is where Latchkey answers, e.g. "http://127.0.0.1:8080"; the path
	// /api/v1/verify is added to it.
	URL string
	// TTL is the longest an answer is reused (DefaultTTL when 0; a negative
	// TTL asks Latchkey on every request). An answer is never reused past
	// the expiry of the token it names.
	TTL time.Duration
	// Size is the most answers kept (DefaultSize when 0).
	Size int
	// Role is the weakest effective role let through ("owner", "admin",
	// "support" or "member"); "" lets every valid user through.
	Role string
	// UserOptional lets a request with a valid App-Token and no user token
	// through; its Caller names only the tenant and the app token. A user
	// token, when sent, is still verified.
	UserOptional bool
	// Client makes the calls to Latchkey (default: an http.Client with a
	// DefaultTimeout timeout that keeps up to 64 idle connections).
	Client *http.Client
	// Now is the clock the cache reads (time.Now when nil), for tests that
	// move time past TTL or a token's expiry.
	Now func() time.Time
}

// Verifier verifies requests against one Latchkey. It is safe for
// concurrent use; make one and share it.
type Verifier struct {
	endpoint     string
	client       *http.Client
	role         string
	userOptional bool
	cache        *cache
}

// New returns a Verifier, or an error when the options are not usable.
func New(o Options) (*Verifier, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("verify: URL %q: want http(s)://host[:port]", o.URL)
	}
	if o.Role != "" && !ValidRole(o.Role) {
		return nil, fmt.Errorf("verify: Role %q: want owner, admin, support or member", o.Role)
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	size := o.Size
	if size <= 0 {
		size = DefaultSize
	}
	client := o.Client
	if client == nil {
		// Every miss asks the same host: keep enough idle connections to
		// it (net/http keeps two) so bursts do not open and close sockets.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		client = &http.Client{Timeout: DefaultTimeout, Transport: tr}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	endpoint := strings.TrimRight(u.String(), "/") + "/api/v1/verify"
	if o.UserOptional {
		endpoint += "?user=optional"
	}
	return &Verifier{endpoint: endpoint, client: client, role: o.Role, userOptional: o.UserOptional,
		cache: newCache(ttl, size, now)}, nil
}

// Handler is the middleware: it verifies each request, answers refused ones
// itself, and calls next with the Caller in the request's context.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := v.Verify(r)
		if err != nil {
			WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), caller)))
	})
}

// Verify asks Latchkey (or the cache) who sent r and checks Options.Role.
// It removes from r every X-Latchkey-* header the client sent, so nothing
// downstream mistakes one for Latchkey's answer. Errors are *Error.
func (v *Verifier) Verify(r *http.Request) (*Caller, error) {
	stripIdentityHeaders(r.Header)
	app, tok, authz := r.Header.Values("App-Token"), r.Header.Values("Token"), r.Header.Values("Authorization")
	if len(app) == 0 {
		e := &Error{Status: http.StatusUnauthorized, Fields: map[string]string{"App-Token": "This header is required."}}
		if len(tok) == 0 && !hasUserToken(authz) && !v.userOptional {
			e.Fields["Token"] = "This header is required."
		}
		return nil, e
	}
	key := credentialKey(app, tok, authz)
	caller, ok := v.cache.get(key)
	if !ok {
		var err error
		if caller, err = v.ask(r.Context(), app, tok, authz); err != nil {
			return nil, err
		}
		v.cache.put(key, caller)
	}
	if v.role != "" && !caller.AtLeast(v.role) {
		return nil, forbidden(v.role, caller)
	}
	return caller, nil
}

// ask calls Latchkey's /verify with the credentials.
func (v *Verifier) ask(ctx context.Context, app, tok, authz []string) (*Caller, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.endpoint, nil)
	if err != nil {
		return nil, unavailable("Latchkey could not be asked.", err)
	}
	req.Header["App-Token"] = app
	if len(tok) > 0 {
		req.Header["Token"] = tok
	}
	if len(authz) > 0 {
		req.Header["Authorization"] = authz
	}
	res, err := v.client.Do(req)
	if err != nil {
		return nil, unavailable("Latchkey is unreachable. Try again shortly.", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, unavailable("Latchkey's answer was cut short. Try again shortly.", err)
	}
	switch res.StatusCode {
	case http.StatusOK:
		var c Caller
		if err := json.Unmarshal(body, &c); err != nil || c.TenantID == "" {
			return nil, unavailable("Latchkey's answer could not be read.", fmt.Errorf("verify: decoding the answer: %v", err))
		}
		return &c, nil
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestHeaderFieldsTooLarge:
		var e struct {
			Errors map[string]string `json:"errors"`
		}
		if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
			e.Errors = map[string]string{"credentials": http.StatusText(res.StatusCode) + "."}
		}
		return nil, &Error{Status: res.StatusCode, Fields: e.Errors}
	}
	return nil, unavailable("Latchkey is unavailable. Try again shortly.", fmt.Errorf("verify: Latchkey answered %s", res.Status))
}

// credentialKey is the cache key of a request's credentials: a SHA-256 of
// them, so the cache never holds a token string.
func credentialKey(app, tok, authz []string) [sha256.Size]byte {
	var buf [512]byte // on the stack unless the credentials are longer
	b := buf[:0]
	for i, vals := range [3][]string{app, tok, authz} {
		for _, s := range vals {
			b = append(b, s...)
			b = append(b, 0)
		}
		b = append(b, byte(i), 1)
	}
	return sha256.Sum256(b)
}

// hasUserToken reports whether an Authorization header carries a user
// token (scheme Token or Bearer).
func hasUserToken(authz []string) bool {
	for _, a := range authz {
		scheme, _, _ := strings.Cut(a, " ")
		if strings.EqualFold(scheme, "Token") || strings.EqualFold(scheme, "Bearer") {
			return true
		}
	}
	return false
}

// identityPrefix starts every header Latchkey names a caller with.
const identityPrefix = "X-Latchkey-"

func stripIdentityHeaders(h http.Header) {
	for k := range h {
		if len(k) >= len(identityPrefix) && strings.EqualFold(k[:len(identityPrefix)], identityPrefix) {
			delete(h, k)
		}
	}
}

// Error is a refusal: the status to answer and Latchkey's field messages.
type Error struct {
	Status int
	Fields map[string]string
	// Cause is why Latchkey could not be asked (503 only); never shown.
	Cause error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("verify: %d", e.Status)
	for k, v := range e.Fields {
		msg += " " + k + ": " + v
	}
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

func unavailable(msg string, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Fields: map[string]string{"latchkey": msg}, Cause: cause}
}

func forbidden(role string, c *Caller) *Error {
	return &Error{Status: http.StatusForbidden, Fields: map[string]string{"role": "This needs the role " + role +
		" or a stronger one; the caller's role is " + orNone(c.Role) + "."}}
}

func orNone(role string) string {
	if role == "" {
		return "none (no user token)"
	}
	return role
}

// WriteError answers a refusal in Latchkey's shape, {"errors": {...}}: a
// 401 with WWW-Authenticate, a 503 with Retry-After. An error that is not
// an *Error is answered 503.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = unavailable("Latchkey could not be asked.", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	switch e.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Token realm="latchkey"`)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{"errors": e.Fields})
}
