package usertokens

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

type createTokenRequest struct {
	Seconds *int64 `json:"seconds_until_expire"`
	User    string `json:"user"`
	Name    string `json:"name"`
	// The server makes every token string: these fields exist only to
	// answer a client that tries to choose one.
	Token json.RawMessage `json:"token"`
	ID    json.RawMessage `json:"id"`
}

type createTokenResponse struct {
	Token string `json:"token"`
	View
}

func (h *Handler) createToken(c *gin.Context) {
	var req createTokenRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		httpx.Fail(c, err)
		return
	}
	switch {
	case req.Token != nil:
		httpx.Fail(c, secret.Chosen("token"))
		return
	case req.ID != nil:
		httpx.Fail(c, secret.Chosen("id"))
		return
	}
	tok, plain, err := h.Service.Create(c.Request.Context(), authn.From(c), NewToken{User: req.User, Seconds: req.Seconds, Name: req.Name})
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	rec := audit.Event(c, "token.create", tok.ID.Hex(), audit.Success)
	rec.Detail = tok.Kind + " token for user " + tok.UserID.Hex()
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, rec)
	c.JSON(http.StatusCreated, createTokenResponse{Token: plain, View: ViewOf(tok, h.Service.Now())})
}

// filterOf reads the list filters ?user=, ?kind= and ?active=, reporting
// every bad one at once.
func filterOf(c *gin.Context) (Filter, error) {
	var f Filter
	bad := map[string]string{}
	if s, ok := c.GetQuery("user"); ok {
		id, err := ids.Parse(s)
		if err != nil {
			bad["user"] = errs.MalformedID
		}
		f.User = &id
	}
	if s, ok := c.GetQuery("kind"); ok {
		if s != Login && s != Personal && s != OBO {
			bad["kind"] = "Must be one of: login, personal, obo."
		}
		f.Kind = s
	}
	if s, ok := c.GetQuery("active"); ok {
		switch s {
		case "true":
			f.Active = new(true)
		case "false":
			f.Active = new(false)
		default:
			bad["active"] = "Must be true or false."
		}
	}
	return f, errs.Fields(bad)
}

func (h *Handler) listTokens(c *gin.Context) {
	f, ferr := filterOf(c)
	pg, perr := httpx.PageOf(c)
	if err := errs.Join(ferr, perr); err != nil {
		httpx.Fail(c, err)
		return
	}
	list, next, err := h.Service.List(c.Request.Context(), authn.From(c), f, pg)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	now := h.Service.Now()
	views := make([]View, len(list))
	for i := range list {
		views[i] = ViewOf(&list[i], now)
	}
	c.JSON(http.StatusOK, page.NewList(views, next))
}

func (h *Handler) getToken(c *gin.Context) {
	tok, err := h.Service.Get(c.Request.Context(), authn.From(c), c.Param("token"))
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ViewOf(tok, h.Service.Now()))
}

func (h *Handler) setTokenExpiry(c *gin.Context) {
	var req httpx.Expiry
	if err := httpx.BindJSON(c, &req); err != nil {
		httpx.Fail(c, err)
		return
	}
	tok, err := h.Service.SetExpiry(c.Request.Context(), authn.From(c), c.Param("token"), *req.Seconds)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "token.expiry", tok.ID.Hex())
	c.JSON(http.StatusOK, ViewOf(tok, h.Service.Now()))
}

func (h *Handler) deleteToken(c *gin.Context) {
	tok, err := h.Service.Delete(c.Request.Context(), authn.From(c), c.Param("token"))
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "token.delete", tok.ID.Hex())
	c.Status(http.StatusNoContent)
}

func (h *Handler) expireUserTokens(c *gin.Context) {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	n, err := h.Service.ExpireUserTokens(c.Request.Context(), authn.From(c), id)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "user.expire_tokens", id.Hex())
	c.JSON(http.StatusOK, gin.H{"expired": n})
}
