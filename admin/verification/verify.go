// Package verification answers the platform's own API and gateways: /verify
// (who is calling) and /introspect (RFC 7662). Both verify with the
// same Authenticator as every other route: the same checks, cache,
// revocation bound and last_used bookkeeping.
package verification

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/prefer"
)

// Handler serves /verify and /introspect.
type Handler struct {
	Auth    *authn.Authenticator
	Metrics *metrics.Metrics // introspection outcomes
	// Catalog returns the whole scope catalog, read at most once per
	// cache.ttl: the scopes of a request restricted by neither token.
	Catalog func(context.Context) (access.Scopes, error)
}

// VerifyMethods are the methods /verify answers: a gateway forwards the
// original request's method, so every method of HTTP is accepted (HEAD as
// GET, like everywhere) and the body is never read. CONNECT names a proxy
// tunnel, never an API call.
var VerifyMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace}

// The identity headers of a /verify answer.
const (
	HeaderTenantID   = "X-Latchkey-Tenant-Id"
	HeaderTenant     = "X-Latchkey-Tenant"
	HeaderUserID     = "X-Latchkey-User-Id"
	HeaderUsername   = "X-Latchkey-Username"
	HeaderRole       = "X-Latchkey-Role"
	HeaderActorID    = "X-Latchkey-Actor-Id"
	HeaderTokenID    = "X-Latchkey-Token-Id"
	HeaderTokenKind  = "X-Latchkey-Token-Kind"
	HeaderAppTokenID = "X-Latchkey-App-Token-Id"
	HeaderExpires    = "X-Latchkey-Expires"
	// HeaderScopes lists the effective scopes, sorted, space-separated.
	HeaderScopes     = "X-Latchkey-Scopes"
	HeaderExternalID = "X-Latchkey-External-Id"
)

// Register mounts /verify for every method in VerifyMethods, and every
// path below it: Envoy's ext_authz appends the original request's path
// (and query) to the one it is configured with. It mounts POST /introspect
// behind the client authentication of RFC 7662 (App-Token, or the app token
// as HTTP Basic password).
func (h *Handler) Register(api gin.IRouter) {
	api.Match(VerifyMethods, "/verify", httpx.Handle(h.verify))
	api.Match(VerifyMethods, "/verify/*path", httpx.Handle(h.verifyBelow))
	api.POST("/introspect", h.Auth.Client(), httpx.Handle(h.introspect))
}

// Identity is the body of a /verify answer: the facts of its X-Latchkey-*
// headers. The user's fields are absent when ?user=optional was answered
// from the App-Token alone; actor_id is present for OBO tokens only.
type Identity struct {
	TenantID   string `json:"tenant_id"`
	Tenant     string `json:"tenant"`
	AppTokenID string `json:"app_token_id"`
	UserID     string `json:"user_id,omitempty"`
	Username   string `json:"username,omitempty"`
	Role       string `json:"role,omitempty"` // effective role: OBO tokens are capped by their actor's
	ActorID    string `json:"actor_id,omitempty"`
	TokenID    string `json:"token_id,omitempty"`
	TokenKind  string `json:"token_kind,omitempty"`
	// Expires is the user token's expiry, or the app token's when there is
	// no user token: UTC, RFC 3339 with nanoseconds (encoding/json's form of
	// a time.Time).
	Expires string `json:"expires"`
	// Scopes are the effective scopes, listed (the whole catalog when
	// neither token restricts them), sorted.
	Scopes []string `json:"scopes"`
	// ExternalID and Meta are the app token's metadata.
	ExternalID string          `json:"external_id,omitempty"`
	Meta       json.RawMessage `json:"meta,omitempty"`

	// ScopesText is Scopes joined by spaces (the header), made once per
	// credential.
	ScopesText string `json:"-"`
}

// verifyQuery is the query of /verify. A role needs a user, so
// user=optional only drops the user token when no role is asked for.
type verifyQuery struct {
	Role string `json:"role" validate:"omitempty,oneof=owner admin support member"`
	User string `json:"user" validate:"omitempty,oneof=required optional"`
}

func (h *Handler) verify(c *gin.Context) error {
	q, err := ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return err
	}
	return h.answer(c, q.Need, q.Role, q.Scopes...)
}

// Query is what a /verify query asks: which credentials are needed, the
// least role ("": any) and the scopes that must all be held.
type Query struct {
	Need   authn.Need
	Role   access.Role
	Scopes []string
}

// ParseQuery reads /verify's query string raw. The Gin route and admin's
// lean path both read it so. Errors: Invalid.
func ParseQuery(raw string) (Query, error) {
	q := Query{Need: authn.UserRequired}
	if raw == "" { // most gateways ask without one: parse nothing
		return q, nil
	}
	var vq verifyQuery
	var err error
	if q.Scopes, err = bindVerifyQuery(raw, &vq); err != nil {
		return Query{}, err
	}
	q.Role = access.Role(vq.Role)
	if vq.User == "optional" && q.Role == "" {
		q.Need = authn.UserIfPresent
	}
	return q, nil
}

// bindVerifyQuery reads /verify's query raw into q, and returns the scopes
// asked for: ?scope= is the one parameter that may repeat (each must be
// held). Errors: Invalid.
func bindVerifyQuery(raw string, q *verifyQuery) ([]string, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errs.E(errs.Invalid, "query", "The query string could not be read.")
	}
	scopes := vals["scope"]
	if scopes == nil {
		return nil, httpx.BindQueryString(raw, q)
	}
	for _, s := range scopes {
		if !access.ValidScopeName(s) {
			return nil, errs.E(errs.Invalid, "scope", "A scope name matches ^[a-z][a-z0-9._:-]{0,63}$.")
		}
	}
	delete(vals, "scope")
	return scopes, httpx.BindQueryString(vals.Encode(), q)
}

// verifyBelow answers /verify/<path>: the path and query are the original
// request's (Envoy appends them) and are not read.
func (h *Handler) verifyBelow(c *gin.Context) error {
	return h.answer(c, authn.UserRequired, "")
}

func (h *Handler) answer(c *gin.Context, need authn.Need, role access.Role, scopes ...string) error {
	p, err := h.Auth.Authenticate(c, need)
	if err != nil {
		return err
	}
	_, err = h.Answer(c.Request.Context(), c.Writer, c.Request.Header, p, role, scopes)
	return err
}

// Answer answers /verify on w for p, the principal the request (whose
// headers are req) authenticated as, asked for at least role ("": any)
// and every one of scopes, and returns the status it wrote. An error is
// written by no one yet: the caller answers it (httpx.Errors, or
// httpx.WriteError). The Gin route and admin's lean path both answer with
// it. Errors: Forbidden, or the scope catalog's.
func (h *Handler) Answer(ctx context.Context, w http.ResponseWriter, req http.Header, p *access.Principal,
	role access.Role, scopes []string) (int, error) {
	if role != "" && !p.Role.AtLeast(role) {
		return 0, errs.E(errs.Forbidden, "role", "This needs the role "+string(role)+
			" or a stronger one; the caller's role is "+string(p.Role)+".")
	}
	held := p.Scopes
	if !held.Restricted {
		var err error
		if held, err = h.Catalog(ctx); err != nil {
			return 0, err
		}
	}
	for _, s := range scopes {
		if !held.Has(s) {
			return 0, errs.E(errs.Forbidden, "scope", "This needs the scope "+s+", which the request does not hold.")
		}
	}
	id := identityOf(p, held)
	hdr := w.Header()
	id.setHeaders(hdr)
	// Prefer: return=minimal (RFC 7240) asks for 204 with the identity
	// headers and no body. Gateways ask so because they read headers only;
	// an answer without a body lets them keep the connection for the next
	// question (Caddy and nginx close it when a body they do not read is
	// left behind).
	if prefer.ReturnMinimal(req["Prefer"]) {
		hdr["Preference-Applied"] = preferenceApplied
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent, nil
	}
	hdr["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(id.AppendJSON(make([]byte, 0, 384))) // as c.Data: a client gone is no error of ours
	return http.StatusOK, nil
}

// Header values of every /verify answer, shared by all of them (Gin's JSON
// answers do the same): set with canonical keys and no allocation. Nothing
// writes into a header value's slice in place.
var (
	jsonContentType   = []string{"application/json; charset=utf-8"}
	preferenceApplied = []string{"return=minimal"}
)

// setHeaders sets the X-Latchkey-* headers of id that apply, with one
// allocation for all the values (the keys are canonical: no Set needed).
func (id Identity) setHeaders(h http.Header) {
	vals := [...]string{id.TenantID, id.Tenant, id.AppTokenID, id.UserID, id.Username, id.Role, id.ActorID,
		id.TokenID, id.TokenKind, id.Expires, id.ScopesText, id.ExternalID}
	keys := [...]string{HeaderTenantID, HeaderTenant, HeaderAppTokenID, HeaderUserID, HeaderUsername, HeaderRole,
		HeaderActorID, HeaderTokenID, HeaderTokenKind, HeaderExpires, HeaderScopes, HeaderExternalID}
	backing := vals[:] // one array on the heap, sliced per header
	for i, k := range keys {
		if vals[i] != "" {
			h[k] = backing[i : i+1 : i+1]
		}
	}
}

// AppendJSON appends id as encoding/json writes it (a test keeps the two
// byte for byte equal), without reflection: gateways ask /verify for every
// request they let through.
func (id Identity) AppendJSON(b []byte) []byte {
	b = append(b, `{"tenant_id":`...)
	b = httpx.AppendJSONString(b, id.TenantID)
	b = append(b, `,"tenant":`...)
	b = httpx.AppendJSONString(b, id.Tenant)
	b = append(b, `,"app_token_id":`...)
	b = httpx.AppendJSONString(b, id.AppTokenID)
	for _, f := range [...]struct{ key, val string }{{`,"user_id":`, id.UserID}, {`,"username":`, id.Username},
		{`,"role":`, id.Role}, {`,"actor_id":`, id.ActorID}, {`,"token_id":`, id.TokenID}, {`,"token_kind":`, id.TokenKind}} {
		if f.val != "" {
			b = append(b, f.key...)
			b = httpx.AppendJSONString(b, f.val)
		}
	}
	b = append(b, `,"expires":`...)
	b = httpx.AppendJSONString(b, id.Expires)
	b = append(b, `,"scopes":`...)
	if id.Scopes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range id.Scopes {
			if i > 0 {
				b = append(b, ',')
			}
			b = httpx.AppendJSONString(b, s)
		}
		b = append(b, ']')
	}
	if id.ExternalID != "" {
		b = append(b, `,"external_id":`...)
		b = httpx.AppendJSONString(b, id.ExternalID)
	}
	if len(id.Meta) > 0 {
		b = append(b, `,"meta":`...)
		b = append(b, id.Meta...) // compact JSON, made once per credential
	}
	return append(b, '}')
}

// identityOf names p, holding the scopes held (listed), from its
// credentials' Text, made once per store read, so that a cached credential
// is not formatted again for every question.
func identityOf(p *access.Principal, held access.Scopes) Identity {
	id := Identity{TenantID: p.TenantID, Tenant: p.App.TenantSlug, AppTokenID: p.App.Text.TokenID,
		Expires: p.App.Text.Expires, Scopes: held.Names, ScopesText: held.Text, ExternalID: p.App.ExternalID}
	if p.App.Meta != "" {
		id.Meta = json.RawMessage(p.App.Meta)
	}
	if p.TokenID.IsZero() {
		return id
	}
	id.UserID, id.Username, id.Role = p.Token.Text.UserID, p.Username, string(p.Role)
	id.TokenID, id.TokenKind, id.Expires = p.Token.Text.TokenID, p.TokenKind, p.Token.Text.Expires
	id.ActorID = p.Token.Text.ActorID // "" unless OBO
	return id
}
