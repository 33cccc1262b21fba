package usertokens

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
)

// Handler serves the session routes (/token) and the user token routes.
type Handler struct {
	Service *Service
	Audit   *audit.Log
	// Catalog returns the whole scope catalog: what GET /token lists as
	// the scopes of a request restricted by neither of its tokens.
	Catalog func(context.Context) (access.Scopes, error)
}

// Register mounts the routes: app (App-Token only) takes login and
// refresh; optional (App-Token, and a user token when one is sent) takes
// signup, which refuses an on-behalf-of token; user (App-Token and user
// token) takes the rest.
func (h *Handler) Register(app, optional, user gin.IRouter) {
	app.POST("/token", httpx.Handle(h.login))
	app.POST("/token/refresh", httpx.Handle(h.refresh))
	optional.POST("/signup", authn.MakesCredential(), httpx.Handle(h.signup))
	user.GET("/token", httpx.Handle(h.current))
	user.PATCH("/token", httpx.Handle(h.extend))
	user.DELETE("/token", httpx.Handle(h.logout))
	// PUT /tokens/:token is deliberately absent: it answers 405.
	user.POST("/tokens", authn.MakesCredential(), httpx.Handle(h.createToken))
	user.GET("/tokens", httpx.Handle(h.listTokens))
	user.GET("/tokens/:token", httpx.Handle(h.getToken))
	user.PATCH("/tokens/:token", httpx.Handle(h.setTokenExpiry))
	user.DELETE("/tokens/:token", httpx.Handle(h.deleteToken))
	user.POST("/tokens/:token/rotate", authn.MakesCredential(), httpx.Handle(h.rotateToken))
	user.POST("/users/:id/expire_tokens", httpx.Handle(h.expireUserTokens))
	user.POST("/users/:id/unlock", httpx.Handle(h.unlock))
}

type loginRequest struct {
	Username string `json:"username" validate:"required"`
	Password string `json:"password" validate:"required"`
	Seconds  *int64 `json:"seconds_until_expire"`
	Long     bool   `json:"long"`
}

// SessionResponse is the answer to a login, a refresh and a signup.
type SessionResponse struct {
	Token          string     `json:"token"`
	ID             string     `json:"id"`
	Expires        clock.Time `json:"expires"`
	RefreshToken   string     `json:"refresh_token"`
	RefreshExpires clock.Time `json:"refresh_expires"`
	User           UserBrief  `json:"user"`
}

// UserBrief names a user in a session answer.
type UserBrief struct {
	ID       string      `json:"id"`
	Username string      `json:"username"`
	Role     access.Role `json:"role"`
}

// ResponseOf returns the answer for a new session.
func ResponseOf(s *Session) SessionResponse {
	return SessionResponse{Token: s.Secret, ID: s.Token.ID.Hex(), Expires: clock.Time(s.Token.Expires),
		RefreshToken: s.RefreshSecret, RefreshExpires: clock.Time(*s.Token.RefreshExpires),
		User: UserBrief{ID: s.User.ID.Hex(), Username: s.User.Username, Role: s.User.Role}}
}

var errTwoCredentials = errs.E(errs.Invalid, "credentials",
	"Send the username and password once: in the body or as HTTP Basic credentials, not both.")

// basicAuth returns the HTTP Basic credentials of a request. Authorization
// headers of scheme Basic that differ are refused, never "the first one
// wins".
func basicAuth(c *gin.Context) (username, password string, ok bool, err error) {
	var basic string
	for _, v := range c.Request.Header["Authorization"] {
		scheme, _, _ := strings.Cut(v, " ")
		if !strings.EqualFold(scheme, "Basic") {
			continue
		}
		if basic != "" && v != basic {
			return "", "", false, errTwoCredentials
		}
		basic = v
	}
	username, password, ok = c.Request.BasicAuth()
	return username, password, ok && basic != "", nil
}

func (h *Handler) login(c *gin.Context) error {
	var req loginRequest
	if err := httpx.Decode(c, &req); err != nil {
		return err
	}
	user, pass, basic, err := basicAuth(c)
	switch {
	case err != nil:
		return err
	case basic && (req.Username != "" || req.Password != "") && (user != req.Username || pass != req.Password):
		return errTwoCredentials
	case basic:
		req.Username, req.Password = user, pass
	}
	if err := httpx.Validate(&req); err != nil {
		return err
	}
	p := authn.From(c)
	s, err := h.Service.Login(c.Request.Context(), p.TenantID, LoginInput{Username: req.Username, Password: req.Password,
		Seconds: req.Seconds, Long: req.Long, AppToken: p.AppTokenID})
	if err != nil {
		var failed *LoginError
		if errors.As(err, &failed) {
			h.auditFailedLogin(c, failed)
		}
		return err
	}
	rec := audit.Event(c, "login", s.Token.ID.Hex(), audit.Success)
	id := s.User.ID
	rec.User, rec.Username = &id, s.User.Username
	h.Audit.Write(c.Request.Context(), p.TenantID, rec)
	c.JSON(http.StatusOK, ResponseOf(s))
	return nil
}

// auditFailedLogin records a login refused for its credentials or a lock.
// Only a username that exists is recorded, with its user: an unknown one
// may be a password typed into the wrong field. Login looked the username
// up already, so recording costs no second lookup, and unknown usernames
// take no longer than wrong passwords.
func (h *Handler) auditFailedLogin(c *gin.Context, failed *LoginError) {
	rec := audit.Event(c, "login", "", audit.Failure)
	if errs.Is(failed, errs.Locked) {
		rec.Outcome = audit.Denied
	}
	if acct := failed.User; acct != nil {
		id := acct.ID
		rec.User, rec.Username, rec.Target = &id, acct.Username, id.Hex()
	} else {
		rec.Detail = "unknown username"
	}
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, rec)
}

func (h *Handler) current(c *gin.Context) error {
	body, err := h.CurrentJSON(c.Request.Context(), authn.From(c))
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	return nil
}

// CurrentJSON is the body of GET /token for p, the principal the request
// authenticated as: its token, with the request's effective scopes listed.
// The Gin route and admin's lean path both answer with it.
// Errors: Service.Current's, and the scope catalog's.
func (h *Handler) CurrentJSON(ctx context.Context, p *access.Principal) ([]byte, error) {
	tok, err := h.Service.Current(ctx, p)
	if err != nil {
		return nil, err
	}
	v := ViewOf(p.TenantID, tok, h.Service.Now())
	// scopes here are the request's effective scopes, listed.
	scopes := p.Scopes
	if !scopes.Restricted {
		if scopes, err = h.Catalog(ctx); err != nil {
			return nil, err
		}
	}
	v.Scopes = scopes.Names
	// Written without reflection: this is the most frequent call of all.
	return v.AppendJSON(make([]byte, 0, 384)), nil
}

func (h *Handler) extend(c *gin.Context) error {
	var req httpx.Expiry
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	p := authn.From(c)
	tok, err := h.Service.ExtendCurrent(c.Request.Context(), p, *req.Seconds)
	if err != nil {
		return err
	}
	h.audit(c, "token.expiry", tok.ID.Hex())
	c.JSON(http.StatusOK, ViewOf(authn.From(c).TenantID, tok, h.Service.Now()))
	return nil
}

func (h *Handler) logout(c *gin.Context) error {
	p := authn.From(c)
	if err := h.Service.Logout(c.Request.Context(), p); err != nil {
		return err
	}
	h.audit(c, "logout", p.TokenID.Hex())
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) audit(c *gin.Context, action, target string) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, target, audit.Success))
}
