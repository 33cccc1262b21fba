package authn

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/secret"
)

// Source resolves token strings, given as refs (the record id the string
// names and its hash); admin implements it over the tenants, apptokens,
// usertokens and users stores. A token that does not exist, or whose stored
// hash differs, is a NotFound error.
type Source interface {
	AppCredential(ctx context.Context, tenantID string, ref secret.Ref) (access.AppCredential, error)
	UserCredential(ctx context.Context, tenantID string, ref secret.Ref) (access.UserCredential, error)
}

// Recorder is told of every successful use of a token, to keep last_used
// without a write per request.
type Recorder interface {
	Used(tenantID, collection string, id ids.ID, at time.Time)
}

// Authenticator is the authenticating middleware.
type Authenticator struct {
	// Keys are the installation's tag keys: a token string they did not
	// make is refused before the cache or the store is asked.
	Keys     *secret.Keyring
	Source   Source
	Cache    *Cache
	Recorder Recorder // may be nil
	// Limiter counts the requests of rate-limited app tokens; nil counts
	// none.
	Limiter *ratelimit.Limiter
	Now     func() time.Time
	// Observe, when set, is told how each verification ended (metrics).
	Observe func(Credential, Outcome)
	// Console, when set, resolves a tenant's built-in console app token
	// (access.ConsoleApp), which a request names with the App-Token value
	// ConsoleAppToken; nil refuses that value like any unknown app token.
	// A tenant without a console app token is a NotFound error.
	Console func(ctx context.Context, tenantID string) (access.AppCredential, error)
}

// Header names.
const (
	AppTokenHeader = "App-Token"
	TokenHeader    = "Token"
)

// ConsoleAppToken is the App-Token value of console sessions: it stands for
// the tenant's built-in console app token, whose secret nobody holds, and
// is accepted only together with a user token of that tenant issued through
// it (a console sign-in, POST /console/login). Routes that take no user
// token (login, refresh, signup, /verify, /introspect) refuse it.
const ConsoleAppToken = "console"

var (
	errNoAppToken  = errs.E(errs.Unauthorized, AppTokenHeader, "This header is required.")
	errBadAppToken = errs.E(errs.Unauthorized, AppTokenHeader, "Invalid or expired app token.")
	errDisabled    = errs.E(errs.Unauthorized, AppTokenHeader, "This tenant is disabled.")
	errNoToken     = errs.E(errs.Unauthorized, TokenHeader, "This header is required.")
	errBadToken    = errs.E(errs.Unauthorized, TokenHeader, "Invalid or expired token.")
	errOtherTenant = errs.E(errs.Unauthorized, TokenHeader, "The token and the app token belong to different tenants.")
	errUserOff     = errs.E(errs.Unauthorized, TokenHeader, "The token's user is disabled.")
	errTwoApp      = errs.E(errs.Invalid, AppTokenHeader, "Send one app token: the request carries different ones.")
	errNotConsole  = errs.E(errs.Unauthorized, AppTokenHeader,
		"App-Token console goes only with a token signed in at the console (POST /api/v1/console/login).")
	errTwoUser = errs.E(errs.Invalid, TokenHeader,
		"Send one user token: the request carries different ones (Token and Authorization headers count alike).")
)

// Need says which credentials Authenticate requires.
type Need int

// What a route needs.
const (
	// AppOnly: the App-Token; a user token is not looked at (login,
	// refresh, signup).
	AppOnly Need = iota
	// UserRequired: the App-Token and a user token of the same tenant.
	UserRequired
	// UserIfPresent: the App-Token, and the user token when one is sent
	// (GET /verify?user=optional).
	UserIfPresent
)

// App is middleware that requires a valid App-Token and sets the principal's
// tenant and app token. Login, refresh and signup use it alone.
func (a *Authenticator) App() gin.HandlerFunc { return a.middleware(AppOnly) }

// Optional is middleware that requires a valid App-Token and, when the
// request carries a user token, a valid one of the same tenant (signup,
// which an on-behalf-of token may not use).
func (a *Authenticator) Optional() gin.HandlerFunc { return a.middleware(UserIfPresent) }

// User is middleware that requires a valid App-Token and a valid user token
// of the same tenant and sets the whole principal.
func (a *Authenticator) User() gin.HandlerFunc { return a.middleware(UserRequired) }

func (a *Authenticator) middleware(need Need) gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		if _, err := a.Authenticate(c, need); err != nil {
			return err
		}
		c.Next()
		return nil
	})
}

// Authenticate verifies the request's credentials as need says, puts their
// ids on the access log line and, when they are valid, the principal in the
// context (From). Errors are Invalid (two different tokens for one slot),
// Unauthorized, or the store's (Unavailable).
func (a *Authenticator) Authenticate(c *gin.Context, need Need) (*access.Principal, error) {
	v, err := a.CheckRequest(c.Request.Context(), c.Request.Header, c.Writer.Header(), need)
	return a.record(c, v, err)
}

// Verdict is what Check found of one request's credentials, beside its
// error.
type Verdict struct {
	// Principal is the request's principal as far as it was verified (its
	// App-Token, and its user token when that was valid too); nil when not
	// even the App-Token was. Without an error it is the whole principal
	// the request authenticated as.
	Principal *access.Principal
	// Counted says the request counts in the usage of Principal's app
	// token, refused or not (Identified).
	Counted bool
	// RateLimited says the app token's rate limit refused the request.
	RateLimited bool
}

// CheckRequest verifies the credentials of a request whose headers are req
// as need says, as Authenticate does but without Gin: the answer's headers
// (the rate limit's) are set on answer. Errors are Authenticate's.
func (a *Authenticator) CheckRequest(ctx context.Context, req, answer http.Header, need Need) (Verdict, error) {
	raw, err := AppTokenIn(req)
	if err != nil {
		a.observe(AppToken, Malformed)
		return Verdict{}, err
	}
	return a.Check(ctx, raw, req, answer, need)
}

// record puts what Check found in the Gin context: the ids on the access
// log line, the principal (From, Identified) and the rate limit's refusal.
func (a *Authenticator) record(c *gin.Context, v Verdict, err error) (*access.Principal, error) {
	if v.Principal != nil {
		logFields(c, v.Principal)
	}
	if v.RateLimited {
		c.Set(RateLimitedKey, true)
	}
	if err != nil {
		if v.Counted {
			c.Set(identifiedKey, v.Principal)
		}
		return nil, err
	}
	c.Set(PrincipalKey, v.Principal)
	return v.Principal, nil
}

// Client is middleware for routes a client app calls in its own name
// (RFC 7662 introspection): it requires a valid app token, sent as the
// App-Token header or, as OAuth clients send their secret, as the password
// of HTTP Basic authentication. Both at once must name the same token.
func (a *Authenticator) Client() gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		raw, err := AppTokenOf(c)
		if err != nil {
			a.observe(AppToken, Malformed)
			return err
		}
		if _, password, ok := c.Request.BasicAuth(); ok {
			if raw != "" && raw != password {
				a.observe(AppToken, Malformed)
				return errTwoApp
			}
			raw = password
		}
		v, err := a.Check(c.Request.Context(), raw, c.Request.Header, c.Writer.Header(), AppOnly)
		if _, err := a.record(c, v, err); err != nil {
			return err
		}
		c.Next()
		return nil
	})
}

// Check verifies rawApp, the request's app token, and the user token of
// the request headers req as need says; the rate limit's header fields go
// on answer. Errors are Authenticate's.
func (a *Authenticator) Check(ctx context.Context, rawApp string, req, answer http.Header, need Need) (Verdict, error) {
	rawUser := ""
	if need != AppOnly {
		var err error
		if rawUser, err = UserTokenIn(req); err != nil {
			return Verdict{}, err // two user tokens: refused before anything is read
		}
	}
	if rawApp == ConsoleAppToken && rawUser != "" && a.Console != nil {
		return a.checkConsole(ctx, rawUser)
	}
	var v Verdict
	p, err := a.VerifyApp(ctx, rawApp)
	if err == nil {
		v.RateLimited, err = a.limit(ctx, p, answer)
	}
	switch {
	case err == nil && (need == UserRequired || rawUser != ""):
		err = a.VerifyUser(ctx, p, rawUser)
	case err != nil && need == UserRequired && rawUser == "":
		err = alsoMissing(err, errNoToken)
	}
	v.Principal, v.Counted = p, p != nil
	return v, err
}

// checkConsole verifies a console session: rawUser, a user token
// issued through its tenant's console app token, which must be live in a
// live tenant. The user token names the tenant; the console app token is
// read by its fixed id (and cached like any app token). A refused session
// counts as no app token's.
func (a *Authenticator) checkConsole(ctx context.Context, rawUser string) (Verdict, error) {
	tok, ok := a.Keys.Parse(rawUser)
	if !ok || tok.Kind != secret.User {
		a.observe(UserToken, Malformed)
		return Verdict{}, errBadToken
	}
	cred, err := a.Cache.app(ctx, tok.TenantID, "console:"+tok.TenantID, func(ctx context.Context) (access.AppCredential, error) {
		cred, err := a.Console(ctx, tok.TenantID)
		return cred.WithText(), err
	})
	switch {
	case errs.Is(err, errs.NotFound):
		a.observe(AppToken, Unknown)
		return Verdict{}, errNotConsole
	case err != nil:
		a.observe(AppToken, StoreError)
		return Verdict{}, err
	case !cred.TenantActive:
		a.observe(AppToken, TenantDisabled)
		return Verdict{}, errDisabled
	case !a.Now().Before(cred.Expires):
		a.observe(AppToken, Expired)
		return Verdict{}, errBadAppToken
	}
	a.observe(AppToken, Verified)
	p := &access.Principal{TenantID: cred.TenantID, Platform: cred.Platform, AppTokenID: cred.TokenID, App: cred}
	v := Verdict{Principal: p}
	err = a.VerifyUser(ctx, p, rawUser)
	switch {
	case err != nil:
		return v, err
	case p.Token.AppTokenID != access.ConsoleApp:
		return v, errNotConsole
	}
	v.Counted = true
	return v, nil
}

// RateLimitedKey is set (true) in the Gin context of a request the app
// token's rate limit refused, for the usage counts.
const RateLimitedKey = "authn.rate_limited"

// limit counts the request against the rate limit of p's app token, if it
// has one, once per request: right after the app token is verified, so
// every request made with it counts, whatever its user token. It writes
// the RateLimit-Policy and RateLimit header fields on the answer, whatever
// it becomes; a request beyond the limit is Locked (429 with Retry-After).
func (a *Authenticator) limit(ctx context.Context, p *access.Principal, answer http.Header) (bool, error) {
	pol := p.App.RateLimit
	if pol == nil || a.Limiter == nil {
		return false, nil
	}
	d, err := a.Limiter.Allow(ctx, p.TenantID, p.App.Text.TokenID, *pol, a.Now())
	if err != nil {
		return false, err
	}
	policy, state := d.Headers()
	answer.Set("RateLimit-Policy", policy)
	answer.Set("RateLimit", state)
	if !d.Allowed {
		a.observe(AppToken, RateLimited)
		return true, errs.Lock("rate_limit", fmt.Sprintf("This app token may make %d requests every %d seconds; "+
			"wait for the next window (Retry-After).", pol.Limit, pol.Seconds), d.Reset)
	}
	return false, nil
}

func (a *Authenticator) observe(c Credential, o Outcome) {
	if a.Observe != nil {
		a.Observe(c, o)
	}
}

// logFields puts the ids of p on the request's access log line: tenant and
// app token, and the user token and user once they are verified. One call
// per request, so the hot path makes one small slice; the ids are the
// credentials' Text, made once per store read.
func logFields(c *gin.Context, p *access.Principal) {
	var buf [4]zap.Field
	httpx.AddLogFields(c, AppendLogFields(buf[:0], p)...)
}

// AppendLogFields appends the ids of p that go on the access log line to
// fields: tenant and app token, and the user token and user once they are
// verified.
func AppendLogFields(fields []zap.Field, p *access.Principal) []zap.Field {
	fields = append(fields, zap.String("tenant", p.TenantID), zap.String("app_token_id", p.App.Text.TokenID))
	if p.TokenID.IsZero() {
		return fields
	}
	return append(fields, zap.String("token_id", p.Token.Text.TokenID), zap.String("user_id", p.Token.Text.UserID))
}

// alsoMissing adds the fields of missing to an Unauthorized err, so a
// request without either header hears of both at once (every
// failing field is reported). Other errors are returned as they are.
func alsoMissing(err error, missing *errs.Error) error {
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unauthorized {
		return err
	}
	both := *e
	both.Fields = maps.Clone(e.Fields)
	maps.Copy(both.Fields, missing.Fields)
	return &both
}

// VerifyApp resolves raw, an app token string, into a principal holding its
// tenant and app token, and records the use. Errors are Unauthorized
// (missing, not Latchkey's, unknown, expired, tenant disabled) or the
// store's.
func (a *Authenticator) VerifyApp(ctx context.Context, raw string) (*access.Principal, error) {
	cred, o, err := a.verifyApp(ctx, raw)
	a.observe(AppToken, o)
	if err != nil {
		return nil, err
	}
	return &access.Principal{TenantID: cred.TenantID, Platform: cred.Platform, AppTokenID: cred.TokenID, App: cred,
		Scopes: cred.Scopes}, nil
}

func (a *Authenticator) verifyApp(ctx context.Context, raw string) (access.AppCredential, Outcome, error) {
	if raw == "" {
		return access.AppCredential{}, Missing, errNoAppToken
	}
	tok, ok := a.Keys.Parse(raw)
	if !ok || tok.Kind != secret.App {
		return access.AppCredential{}, Malformed, errBadAppToken
	}
	ref := secret.RefOf(tok, raw)
	cred, err := a.Cache.app(ctx, tok.TenantID, ref.Hash, func(ctx context.Context) (access.AppCredential, error) {
		cred, err := a.Source.AppCredential(ctx, tok.TenantID, ref)
		return cred.WithText(), err
	})
	now := a.Now()
	switch {
	case errs.Is(err, errs.NotFound):
		return cred, Unknown, errBadAppToken
	case err != nil:
		return cred, StoreError, err
	case !cred.TenantActive:
		return cred, TenantDisabled, errDisabled
	case !now.Before(cred.Expires):
		return cred, Expired, errBadAppToken
	}
	if a.Recorder != nil {
		a.Recorder.Used(cred.TenantID, "app_tokens", cred.TokenID, now)
	}
	return cred, Verified, nil
}

// VerifyUser resolves raw, a user token string of p's tenant, completes p
// (VerifyApp's principal) with the token, its user, the effective role and
// the effective scopes (of p.App and the token), and records the use. Errors are Unauthorized (missing, not Latchkey's,
// another tenant's, unknown, expired, user or OBO issuer disabled) or the
// store's.
func (a *Authenticator) VerifyUser(ctx context.Context, p *access.Principal, raw string) error {
	cred, o, err := a.verifyUser(ctx, p, raw)
	a.observe(UserToken, o)
	if err != nil {
		return err
	}
	p.TokenID, p.TokenKind = cred.TokenID, cred.Kind
	p.Token = cred
	p.Scopes = access.Effective(p.App.Scopes, cred.Scopes)
	p.UserID, p.Username, p.Role = cred.UserID, cred.Username, cred.Role
	if !cred.ActorID.IsZero() {
		p.ActorID = cred.ActorID
		p.Role = access.Weaker(cred.Role, cred.ActorRole)
	}
	return nil
}

func (a *Authenticator) verifyUser(ctx context.Context, p *access.Principal, raw string) (access.UserCredential, Outcome, error) {
	if raw == "" {
		return access.UserCredential{}, Missing, errNoToken
	}
	tok, ok := a.Keys.Parse(raw)
	if !ok || tok.Kind != secret.User {
		return access.UserCredential{}, Malformed, errBadToken
	}
	if tok.TenantID != p.TenantID {
		return access.UserCredential{}, OtherTenant, errOtherTenant
	}
	ref := secret.RefOf(tok, raw)
	cred, err := a.Cache.user(ctx, tok.TenantID, ref.Hash, func(ctx context.Context) (access.UserCredential, error) {
		cred, err := a.Source.UserCredential(ctx, tok.TenantID, ref)
		return cred.WithText(), err
	})
	now := a.Now()
	switch {
	case errs.Is(err, errs.NotFound):
		return cred, Unknown, errBadToken
	case err != nil:
		return cred, StoreError, err
	case !now.Before(cred.Expires):
		return cred, Expired, errBadToken
	case !cred.UserActive || !cred.ActorActive:
		return cred, UserDisabled, errUserOff
	}
	if a.Recorder != nil {
		a.Recorder.Used(p.TenantID, "tokens", cred.TokenID, now)
	}
	return cred, Verified, nil
}

// AppTokenOf returns the App-Token of a request, "" when there is none.
// App-Token headers that differ are Invalid: no credential is picked from
// several ("first one wins" lets a proxy check one and the server use
// another).
func AppTokenOf(c *gin.Context) (string, error) { return AppTokenIn(c.Request.Header) }

// AppTokenIn is AppTokenOf of the request headers h.
func AppTokenIn(h http.Header) (string, error) {
	vals := h[AppTokenHeader]
	if len(vals) == 0 {
		return "", nil
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return "", errTwoApp
		}
	}
	return vals[0], nil
}

// UserTokenOf returns the user token of a request: the Token header, or an
// Authorization header of scheme Token or Bearer; "" when there is none.
// Several such headers must all carry the same token, else the request is
// Invalid.
func UserTokenOf(c *gin.Context) (string, error) { return UserTokenIn(c.Request.Header) }

// UserTokenIn is UserTokenOf of the request headers h.
func UserTokenIn(h http.Header) (string, error) {
	tok := ""
	take := func(v string) error {
		if tok != "" && v != tok {
			return errTwoUser
		}
		tok = v
		return nil
	}
	for _, v := range h[TokenHeader] {
		if err := take(v); err != nil {
			return "", err
		}
	}
	for _, v := range h["Authorization"] {
		scheme, value, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Token") && !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		if err := take(strings.TrimSpace(value)); err != nil {
			return "", err
		}
	}
	return tok, nil
}
