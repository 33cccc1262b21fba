package users

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// Handler serves /users.
type Handler struct {
	Users *Service
	Audit *audit.Log
}

// Register mounts the user routes on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/users")
	g.GET("", authn.Require(authn.ViewUsers), h.list)
	g.POST("", authn.Require(authn.ManageUsers), h.create)
	g.GET("/me", h.me)
	g.GET("/:id", h.get)
	g.PATCH("/:id", h.update)
	g.DELETE("/:id", authn.Require(authn.ManageUsers), h.delete)
}

func (h *Handler) list(c *gin.Context) {
	pg, perr := httpx.PageOf(c)
	f := Filter{Role: c.Query("role"), Status: c.Query("status"), Q: c.Query("q")}
	bad := map[string]string{}
	if f.Role != "" {
		checkRole(bad, "role", authn.Role(f.Role))
	}
	if f.Status != "" && f.Status != Active && f.Status != Disabled {
		bad["status"] = "Must be one of: active, disabled."
	}
	if err := errs.Join(perr, errs.Fields(bad)); err != nil {
		httpx.Fail(c, err)
		return
	}
	list, next, err := h.Users.List(c.Request.Context(), authn.From(c).TenantID, f, pg)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page.NewList(list, next))
}

func (h *Handler) create(c *gin.Context) {
	var req New
	if err := httpx.BindJSON(c, &req); err != nil {
		httpx.Fail(c, err)
		return
	}
	p := authn.From(c)
	u, err := h.Users.Create(c.Request.Context(), p.TenantID, req, p)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "user.create", u.ID.Hex())
	c.JSON(http.StatusCreated, u)
}

func (h *Handler) me(c *gin.Context) {
	p := authn.From(c)
	u, err := h.Users.Get(c.Request.Context(), p.TenantID, p.UserID)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (h *Handler) get(c *gin.Context) {
	p := authn.From(c)
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	if id != p.UserID && !p.Can(authn.ViewUsers) {
		httpx.Fail(c, p.Check(authn.ViewUsers))
		return
	}
	u, err := h.Users.Get(c.Request.Context(), p.TenantID, id)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (h *Handler) update(c *gin.Context) {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	var req Patch
	if err := httpx.BindJSON(c, &req); err != nil {
		httpx.Fail(c, err)
		return
	}
	u, err := h.Users.Update(c.Request.Context(), authn.From(c), id, req)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "user.update", u.ID.Hex())
	c.JSON(http.StatusOK, u)
}

func (h *Handler) delete(c *gin.Context) {
	id, err := secret.ParseID(c.Param("id"), "id")
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	if err := h.Users.Delete(c.Request.Context(), authn.From(c), id); err != nil {
		httpx.Fail(c, err)
		return
	}
	h.audit(c, "user.delete", id.Hex())
	c.Status(http.StatusNoContent)
}

func (h *Handler) audit(c *gin.Context, action, target string) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, target, audit.Success))
}
