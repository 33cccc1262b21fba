package tenants

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
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
	g := rg.Group("/tenants", authn.Require(access.ManageTenants))
	g.POST("", authn.MakesCredential(), httpx.Handle(h.create))
	g.GET("", httpx.Handle(h.list))
	g.GET("/:tenant", httpx.Handle(h.get))
	g.PATCH("/:tenant", httpx.Handle(h.update))
	g.DELETE("/:tenant", httpx.Handle(h.delete))
}

// The request types tag what the service does not check: names a person
// gave follow package text's rule (safetext).
type createRequest struct {
	Slug     string         `json:"slug"`
	Name     string         `json:"name" validate:"safetext"`
	Admin    ownerRequest   `json:"admin"`
	Settings *SettingsPatch `json:"settings"`
}

type ownerRequest struct {
	Username string `json:"username" validate:"safetext"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

type patchRequest struct {
	Name     *string        `json:"name" validate:"omitempty,safetext"`
	Status   *string        `json:"status"`
	Settings *SettingsPatch `json:"settings"`
}

type deleteQuery struct {
	Confirm string `json:"confirm"`
}

type createResponse struct {
	Tenant   *Tenant `json:"tenant"`
	Admin    gin.H   `json:"admin"`
	AppToken string  `json:"app_token"`
}

func (h *Handler) create(c *gin.Context) error {
	var req createRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	owner := Owner{Username: req.Admin.Username, Password: req.Admin.Password, Email: req.Admin.Email}
	t, prov, err := h.Service.Create(c.Request.Context(), NewTenant{Slug: req.Slug, Name: req.Name, Settings: req.Settings}, owner)
	if err != nil {
		h.audit(c, "tenant.create", req.Slug, audit.Failure)
		return err
	}
	h.audit(c, "tenant.create", t.ID, audit.Success)
	c.JSON(http.StatusCreated, createResponse{Tenant: t, Admin: gin.H{"id": prov.AdminID, "username": prov.AdminUsername}, AppToken: prov.AppToken})
	return nil
}

func (h *Handler) list(c *gin.Context) error {
	var q httpx.PageQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	list, next, err := h.Service.List(c.Request.Context(), q.Page())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page.NewList(list, next))
	return nil
}

func (h *Handler) get(c *gin.Context) error {
	t, err := h.Service.Find(c.Request.Context(), c.Param("tenant"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (h *Handler) update(c *gin.Context) error {
	var req patchRequest
	if err := httpx.BindPatch(c, &req); err != nil {
		return err
	}
	t, err := h.Service.Update(c.Request.Context(), c.Param("tenant"), Patch{Name: req.Name, Status: req.Status, Settings: req.Settings})
	if err != nil {
		return err
	}
	h.audit(c, "tenant.update", t.ID, audit.Success)
	// The tenant's own owners see the change in their log too (their
	// sessions may have shrunk): by whom, and which fields. The platform
	// owner is no user of that tenant, so the record names it in words.
	if p := authn.From(c); t.ID != p.TenantID {
		var changed []string
		for name, given := range map[string]bool{"name": req.Name != nil, "status": req.Status != nil, "settings": req.Settings != nil} {
			if given {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		rec := audit.Event(c, "tenant.update", t.ID, audit.Success)
		rec.User, rec.Username, rec.Actor = nil, "", nil
		rec.Detail = "changed by the platform owner " + p.Username + ": " + strings.Join(changed, ", ")
		h.Audit.Write(c.Request.Context(), t.ID, rec)
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	var q deleteQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	ref := c.Param("tenant")
	if err := h.Service.Delete(c.Request.Context(), ref, q.Confirm); err != nil {
		return err
	}
	h.audit(c, "tenant.delete", ref, audit.Success)
	c.Status(http.StatusNoContent)
	return nil
}

// audit records a tenant change in the caller's (the platform's) audit log.
func (h *Handler) audit(c *gin.Context, action, target, outcome string) {
	p := authn.From(c)
	h.Audit.Write(c.Request.Context(), p.TenantID, audit.Event(c, action, target, outcome))
}
