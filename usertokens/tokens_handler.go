package usertokens

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

type createTokenRequest struct {
	Seconds *int64 `json:"seconds_until_expire"`
	User    string `json:"user"`
	Name    string `json:"name" validate:"safetext"`
	// Scopes is null or absent for the issuing request's own restriction.
	Scopes *[]string `json:"scopes"`
	// The server makes every token string: these fields exist only to
	// answer a client that tries to choose one.
	Token json.RawMessage `json:"token"`
	ID    json.RawMessage `json:"id"`
}

type createTokenResponse struct {
	Token string `json:"token"`
	View
}

func (h *Handler) createToken(c *gin.Context) error {
	var req createTokenRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.Token != nil:
		return secret.Chosen("token")
	case req.ID != nil:
		return secret.Chosen("id")
	}
	tok, plain, err := h.Service.Create(c.Request.Context(), authn.From(c), New{User: req.User, Seconds: req.Seconds, Name: req.Name, Scopes: req.Scopes})
	if err != nil {
		return err
	}
	rec := audit.Event(c, "token.create", tok.ID.Hex(), audit.Success)
	rec.Detail = tok.Kind + " token for user " + tok.UserID.Hex()
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, rec)
	c.JSON(http.StatusCreated, createTokenResponse{Token: plain, View: ViewOf(authn.From(c).TenantID, tok, h.Service.Now())})
	return nil
}

// listQuery is the query of GET /tokens: the filters ?user=, ?kind= and
// ?active=, and the page.
type listQuery struct {
	httpx.PageQuery
	User   string `json:"user" validate:"omitempty,mongodb"`
	Kind   string `json:"kind" validate:"omitempty,oneof=login personal obo"`
	Active *bool  `json:"active"`
}

// Filter returns the service's filter of q.
func (q listQuery) Filter() Filter {
	f := Filter{Kind: q.Kind, Active: q.Active}
	if q.User != "" {
		id, _ := ids.Parse(q.User) // the tag checked it
		f.User = &id
	}
	return f
}

func (h *Handler) listTokens(c *gin.Context) error {
	var q listQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	list, next, err := h.Service.List(c.Request.Context(), authn.From(c), q.Filter(), q.Page())
	if err != nil {
		return err
	}
	now := h.Service.Now()
	names := h.Service.actorNames(c.Request.Context(), authn.From(c).TenantID)
	c.JSON(http.StatusOK, page.ListOf(list, next, func(t *Token) NamedView { return names.view(t, now) }))
	return nil
}

func (h *Handler) getToken(c *gin.Context) error {
	tok, err := h.Service.Get(c.Request.Context(), authn.From(c), c.Param("token"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, h.Service.actorNames(c.Request.Context(), authn.From(c).TenantID).view(tok, h.Service.Now()))
	return nil
}

func (h *Handler) setTokenExpiry(c *gin.Context) error {
	var req httpx.Expiry
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	tok, err := h.Service.SetExpiry(c.Request.Context(), authn.From(c), c.Param("token"), *req.Seconds)
	if err != nil {
		return err
	}
	h.audit(c, "token.expiry", tok.ID.Hex())
	c.JSON(http.StatusOK, ViewOf(authn.From(c).TenantID, tok, h.Service.Now()))
	return nil
}

// rotateRequest is the body of POST /tokens/{token}/rotate ({} takes the
// default grace).
type rotateRequest struct {
	Grace *int64 `json:"grace_seconds" validate:"omitempty,min=0,max=604800"`
}

// rotateToken answers 201 with the successor and its secret, as
// createToken does, and audits token.rotate on the old id with the new
// one as detail.
func (h *Handler) rotateToken(c *gin.Context) error {
	var req rotateRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	grace := int64(DefaultGrace)
	if req.Grace != nil {
		grace = *req.Grace
	}
	old, next, plain, err := h.Service.Rotate(c.Request.Context(), authn.From(c), c.Param("token"), grace)
	if err != nil {
		return err
	}
	rec := audit.Event(c, "token.rotate", old.ID.Hex(), audit.Success)
	rec.Detail = "successor " + next.ID.Hex()
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, rec)
	c.JSON(http.StatusCreated, createTokenResponse{Token: plain, View: ViewOf(authn.From(c).TenantID, next, h.Service.Now())})
	return nil
}

func (h *Handler) deleteToken(c *gin.Context) error {
	tok, err := h.Service.Delete(c.Request.Context(), authn.From(c), c.Param("token"))
	if err != nil {
		return err
	}
	h.audit(c, "token.delete", tok.ID.Hex())
	c.Status(http.StatusNoContent)
	return nil
}

// unlock serves POST /users/{id}/unlock: 204, the lockout of the user's
// username ended, audited as user.unlock.
func (h *Handler) unlock(c *gin.Context) error {
	id, err := h.Service.Users.PathID(c.Request.Context(), authn.From(c), c.Param("id"))
	if err != nil {
		return err
	}
	u, err := h.Service.Unlock(c.Request.Context(), authn.From(c), id)
	if err != nil {
		return err
	}
	rec := audit.Event(c, "user.unlock", u.ID.Hex(), audit.Success)
	rec.Detail = "lockout of " + u.Username + " ended"
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, rec)
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) expireUserTokens(c *gin.Context) error {
	id, err := h.Service.Users.PathID(c.Request.Context(), authn.From(c), c.Param("id"))
	if err != nil {
		return err
	}
	n, err := h.Service.ExpireUserTokens(c.Request.Context(), authn.From(c), id)
	if err != nil {
		return err
	}
	h.audit(c, "user.expire_tokens", id.Hex())
	c.JSON(http.StatusOK, gin.H{"expired": n})
	return nil
}
