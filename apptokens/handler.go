package apptokens

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
)

// Handler serves /app_tokens.
type Handler struct {
	Service *Service
	Audit   *audit.Log
}

// Register mounts the app token routes on rg, which must authenticate users.
// PUT is deliberately absent: it answers 405.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/app_tokens")
	g.POST("", authn.Require(authn.ManageAppTokens), httpx.Handle(h.create))
	g.GET("", authn.Require(authn.ViewAppTokens), httpx.Handle(h.list))
	g.GET("/:token", authn.Require(authn.ViewAppTokens), httpx.Handle(h.get))
	g.PATCH("/:token", authn.Require(authn.ExpireAppTokens), httpx.Handle(h.setExpiry))
	g.DELETE("/:token", authn.Require(authn.ExpireAppTokens), httpx.Handle(h.delete))
}

type createRequest struct {
	Seconds *int64 `json:"seconds_until_expire"`
	Name    string `json:"name" validate:"max=200,safetext"`
	// The server makes every token string: these fields exist only to
	// answer a client that tries to choose one.
	AppToken json.RawMessage `json:"app_token"`
	Token    json.RawMessage `json:"token"`
	ID       json.RawMessage `json:"id"`
}

type createResponse struct {
	AppToken string `json:"app_token"`
	View
}

func (h *Handler) create(c *gin.Context) error {
	var req createRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	if req.AppToken != nil || req.Token != nil || req.ID != nil {
		return ErrChosenSecret
	}
	p := authn.From(c)
	t, err := h.Service.Tenants.FindByID(c.Request.Context(), p.TenantID)
	if err != nil {
		return err
	}
	by := p.UserID
	tok, plain, err := h.Service.Create(c.Request.Context(), t, New{Name: req.Name, Seconds: req.Seconds, CreatedBy: &by})
	if err != nil {
		return err
	}
	h.audit(c, "app_token.create", tok.ID)
	c.JSON(http.StatusCreated, createResponse{AppToken: plain, View: ViewOf(tok, h.Service.Now())})
	return nil
}

func (h *Handler) list(c *gin.Context) error {
	var q httpx.PageQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	list, next, err := h.Service.List(c.Request.Context(), authn.From(c).TenantID, q.Page())
	if err != nil {
		return err
	}
	now := h.Service.Now()
	views := make([]View, len(list))
	for i := range list {
		views[i] = ViewOf(&list[i], now)
	}
	c.JSON(http.StatusOK, page.NewList(views, next))
	return nil
}

func (h *Handler) get(c *gin.Context) error {
	tok, err := h.Service.Get(c.Request.Context(), authn.From(c).TenantID, c.Param("token"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ViewOf(tok, h.Service.Now()))
	return nil
}

func (h *Handler) setExpiry(c *gin.Context) error {
	var req httpx.Expiry
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	p := authn.From(c)
	// Support staff may expire app tokens but not extend them.
	if *req.Seconds > 0 && !p.Can(authn.ManageAppTokens) {
		return errs.E(errs.Forbidden, "seconds_until_expire", "Your role ("+string(p.Role)+") may only expire app tokens (seconds_until_expire -1 or less).")
	}
	t, err := h.Service.Tenants.FindByID(c.Request.Context(), p.TenantID)
	if err != nil {
		return err
	}
	tok, err := h.Service.SetExpiry(c.Request.Context(), t, c.Param("token"), *req.Seconds)
	if err != nil {
		return err
	}
	h.audit(c, "app_token.expiry", tok.ID)
	c.JSON(http.StatusOK, ViewOf(tok, h.Service.Now()))
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	tok, err := h.Service.Delete(c.Request.Context(), authn.From(c).TenantID, c.Param("token"))
	if err != nil {
		return err
	}
	h.audit(c, "app_token.delete", tok.ID)
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) audit(c *gin.Context, action string, id ids.ID) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, id.Hex(), audit.Success))
}
