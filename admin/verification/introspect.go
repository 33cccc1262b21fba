package verification

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/secret"
)

// POST /introspect is RFC 7662 token introspection: a client app,
// authenticated by its app token, asks whether a token is valid. Only
// tokens of the caller's tenant can be active.

type introspectRequest struct {
	Token string `json:"token" validate:"required"`
	// Hint is accepted and not needed: a token's kind is in its prefix.
	Hint string `json:"token_type_hint"`
}

// Introspection is the answer of RFC 7662 §2.2. Only Active is present for
// an inactive token. Beside the RFC's members: kind (login, personal, obo)
// and tenant_id.
type Introspection struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"` // user_token or app_token
	Kind      string `json:"kind,omitempty"`
	Sub       string `json:"sub,omitempty"` // the user's id
	Username  string `json:"username,omitempty"`
	Role      string `json:"role,omitempty"` // effective role
	Tenant    string `json:"tenant,omitempty"`
	TenantID  string `json:"tenant_id,omitempty"`
	ClientID  string `json:"client_id,omitempty"` // the app token it was issued through
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	JTI       string `json:"jti,omitempty"` // the token's public id
	Act       *Actor `json:"act,omitempty"`
	// Scope is the token's effective scopes, space-separated (RFC 7662):
	// a user token's as it would be used with the caller's app token.
	Scope string `json:"scope,omitempty"`
	// ExternalID and Meta are an app token's metadata.
	ExternalID string          `json:"external_id,omitempty"`
	Meta       json.RawMessage `json:"meta,omitempty"`
}

// Actor names the admin who issued an OBO token (RFC 8693's act claim).
type Actor struct {
	Sub string `json:"sub"`
}

func (h *Handler) introspect(c *gin.Context) error {
	var req introspectRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	got, err := h.lookup(c, authn.From(c), req.Token)
	if errs.Is(err, errs.Unauthorized) {
		got, err = Introspection{}, nil
	}
	if err != nil {
		return err
	}
	h.Metrics.Introspected(got.Active)
	c.JSON(http.StatusOK, got)
	return nil
}

// lookup verifies raw as the caller's tenant would have it verified on any
// request. Anything that is not a live app or user token of that tenant is
// an Unauthorized error (refresh tokens included: they authenticate nothing
// but a refresh).
func (h *Handler) lookup(c *gin.Context, caller *access.Principal, raw string) (Introspection, error) {
	tok, ok := h.Auth.Keys.Parse(raw)
	if !ok || tok.TenantID != caller.TenantID {
		return Introspection{}, errs.E(errs.Unauthorized, "token", "Not a token of this tenant.")
	}
	ctx := c.Request.Context()
	switch tok.Kind {
	case secret.App:
		p, err := h.Auth.VerifyApp(ctx, raw)
		if err != nil {
			return Introspection{}, err
		}
		in := Introspection{Active: true, TokenType: "app_token", Tenant: p.App.TenantSlug, TenantID: p.TenantID,
			ClientID: p.AppTokenID.Hex(), Exp: p.App.Expires.Unix(), Iat: p.App.Created.Unix(), JTI: p.AppTokenID.Hex(),
			ExternalID: p.App.ExternalID}
		if p.App.Meta != "" {
			in.Meta = json.RawMessage(p.App.Meta)
		}
		in.Scope, err = h.scopeText(ctx, p.Scopes)
		return in, err
	case secret.User:
		p := &access.Principal{TenantID: caller.TenantID, App: caller.App}
		if err := h.Auth.VerifyUser(ctx, p, raw); err != nil {
			return Introspection{}, err
		}
		in := Introspection{Active: true, TokenType: "user_token", Kind: p.TokenKind, Sub: p.UserID.Hex(),
			Username: p.Username, Role: string(p.Role), Tenant: caller.App.TenantSlug, TenantID: p.TenantID,
			Exp: p.Token.Expires.Unix(), Iat: p.Token.Created.Unix(), JTI: p.TokenID.Hex()}
		if !p.Token.AppTokenID.IsZero() {
			in.ClientID = p.Token.AppTokenID.Hex()
		}
		if p.OBO() {
			in.Act = &Actor{Sub: p.ActorID.Hex()}
		}
		var err error
		in.Scope, err = h.scopeText(ctx, p.Scopes)
		return in, err
	}
	return Introspection{}, errs.E(errs.Unauthorized, "token", "Not an app or user token.")
}

// scopeText lists s space-separated: the whole catalog when unrestricted.
func (h *Handler) scopeText(ctx context.Context, s access.Scopes) (string, error) {
	if s.Restricted {
		return s.Text, nil
	}
	cat, err := h.Catalog(ctx)
	return cat.Text, err
}
