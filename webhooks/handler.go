package webhooks

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// Handler serves /webhooks.
type Handler struct {
	Service *Service
	Audit   *audit.Log
	// Kick, when set, asks the dispatcher for a pass soon (after a test
	// ping or a retry).
	Kick func()
}

// Register mounts the webhook routes on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/webhooks", authn.Require(access.ManageWebhooks))
	g.GET("", httpx.Handle(h.list))
	g.POST("", httpx.Handle(h.create))
	g.GET("/:id", httpx.Handle(h.get))
	g.PATCH("/:id", httpx.Handle(h.update))
	g.DELETE("/:id", httpx.Handle(h.delete))
	g.POST("/:id/test", httpx.Handle(h.ping))
	g.GET("/:id/deliveries", httpx.Handle(h.deliveries))
	g.POST("/:id/deliveries/:delivery/retry", httpx.Handle(h.retry))
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
	c.JSON(http.StatusOK, page.NewList(list, next))
	return nil
}

func (h *Handler) create(c *gin.Context) error {
	var req New
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	w, err := h.Service.Create(c.Request.Context(), authn.From(c), req)
	if err != nil {
		return err
	}
	h.audit(c, "webhook.create", w.ID.Hex())
	c.JSON(http.StatusCreated, w)
	return nil
}

func (h *Handler) get(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	w, err := h.Service.Get(c.Request.Context(), authn.From(c).TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, w)
	return nil
}

func (h *Handler) update(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	var req Patch
	if err := httpx.BindPatch(c, &req); err != nil {
		return err
	}
	w, err := h.Service.Update(c.Request.Context(), authn.From(c).TenantID, id, req)
	if err != nil {
		return err
	}
	h.audit(c, "webhook.update", w.ID.Hex())
	c.JSON(http.StatusOK, w)
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	if err := h.Service.Delete(c.Request.Context(), authn.From(c).TenantID, id); err != nil {
		return err
	}
	h.audit(c, "webhook.delete", id.Hex())
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) ping(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	d, err := h.Service.Ping(c.Request.Context(), authn.From(c).TenantID, id)
	if err != nil {
		return err
	}
	h.kick()
	c.JSON(http.StatusAccepted, d)
	return nil
}

func (h *Handler) deliveries(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	var q httpx.PageQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	list, next, err := h.Service.Deliveries(c.Request.Context(), authn.From(c).TenantID, id, q.Page())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page.NewList(list, next))
	return nil
}

func (h *Handler) retry(c *gin.Context) error {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		return err
	}
	var delivery ids.ID
	if delivery, err = secret.ParseID(c.Param("delivery"), "delivery"); err != nil {
		return err
	}
	d, err := h.Service.Retry(c.Request.Context(), authn.From(c).TenantID, id, delivery)
	if err != nil {
		return err
	}
	h.audit(c, "webhook.retry", id.Hex()+"/"+delivery.Hex())
	h.kick()
	c.JSON(http.StatusAccepted, d)
	return nil
}

func (h *Handler) kick() {
	if h.Kick != nil {
		h.Kick()
	}
}

func (h *Handler) audit(c *gin.Context, action, target string) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, target, audit.Success))
}
