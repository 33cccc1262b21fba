package tenants

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
)

// Handler serves /tenants.
type Handler struct {
	Service *Service
	Audit   *audit.Log
}

// Register mounts the tenant routes on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/tenants", authn.Require(authn.ManageTenants))
	g.POST("", h.create)
	g.GET("", h.list)
	g.GET("/:tenant", h.get)
	g.PATCH("/:tenant", h.update)
	g.DELETE("/:tenant", h.delete)
}

type createRequest struct {
	Slug     string         `json:"slug"`
	Name     string         `json:"name"`
	Admin    Owner          `json:"admin"`
	Settings *SettingsPatch `json:"settings"`
}

type createResponse struct {
	Tenant   *Tenant `json:"tenant"`
	Admin    gin.H   `json:"admin"`
	AppToken string  `json:"app_token"`
}

func (h *Handler) create(c *gin.Context) {
	var req createRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		httpx.Fail(c, err)
		return
	}
	t, prov, err := h.Service.Create(c.Request.Context(), NewTenant{Slug: req.Slug, Name: req.Name, Settings: req.Settings}, req.Admin)
	if err != nil {
		h.audit(c, "tenant.create", req.Slug, audit.Failure)
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "tenant.create", t.ID, audit.Success)
	c.JSON(http.StatusCreated, createResponse{Tenant: t, Admin: gin.H{"id": prov.AdminID, "username": prov.AdminUsername}, AppToken: prov.AppToken})
}

func (h *Handler) list(c *gin.Context) {
	pg, err := httpx.PageOf(c)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	list, next, err := h.Service.List(c.Request.Context(), pg)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page.NewList(list, next))
}

func (h *Handler) get(c *gin.Context) {
	t, err := h.Service.Find(c.Request.Context(), c.Param("tenant"))
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (h *Handler) update(c *gin.Context) {
	var p Patch
	if err := httpx.BindJSON(c, &p); err != nil {
		httpx.Fail(c, err)
		return
	}
	t, err := h.Service.Update(c.Request.Context(), c.Param("tenant"), p)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "tenant.update", t.ID, audit.Success)
	c.JSON(http.StatusOK, t)
}

func (h *Handler) delete(c *gin.Context) {
	ref := c.Param("tenant")
	if err := h.Service.Delete(c.Request.Context(), ref, c.Query("confirm")); err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "tenant.delete", ref, audit.Success)
	c.Status(http.StatusNoContent)
}

// audit records a tenant change in the caller's (the platform's) audit log.
func (h *Handler) audit(c *gin.Context, action, target, outcome string) {
	p := authn.From(c)
	h.Audit.Write(c.Request.Context(), p.TenantID, audit.Event(c, action, target, outcome))
}
