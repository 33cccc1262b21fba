package users

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// Handler serves /users, and a platform owner's restore of a tenant's
// owner.
type Handler struct {
	Users   *Service
	Tenants *tenants.Service
	Audit   *audit.Log
}

// Register mounts the user routes on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/users")
	g.GET("", authn.Require(access.ViewUsers), httpx.Handle(h.list))
	g.POST("", authn.MakesCredential(), authn.Require(access.ManageUsers), httpx.Handle(h.create))
	g.GET("/me", httpx.Handle(h.me))
	g.GET("/:id", httpx.Handle(h.get))
	g.PATCH("/:id", httpx.Handle(h.update))
	g.DELETE("/:id", authn.Require(access.ManageUsers), httpx.Handle(h.delete))
}

// RegisterPlatform mounts POST /tenants/{id or slug}/owners on rg, which
// must authenticate users: a platform owner gives any tenant a new active
// owner, the way back for a tenant that has lost its owners.
func (h *Handler) RegisterPlatform(rg gin.IRouter) {
	rg.POST("/tenants/:tenant/owners", authn.MakesCredential(), authn.Require(access.ManageTenants), httpx.Handle(h.restoreOwner))
}

// ownerRequest is the body of POST /tenants/{id}/owners; the username is a
// name a person gave (package text's rule).
type ownerRequest struct {
	Username string `json:"username" validate:"safetext"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

// restoreOwner creates an active owner in the tenant of the path. Both the
// tenant's audit log (the new user, by the platform owner) and the
// platform's record it.
func (h *Handler) restoreOwner(c *gin.Context) error {
	p := authn.From(c)
	var req ownerRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	t, err := h.Tenants.Find(ctx, c.Param("tenant"))
	if err != nil {
		return err
	}
	u, err := h.Users.RestoreOwner(ctx, t, req.Username, req.Password, req.Email)
	if err != nil {
		return err
	}
	rec := audit.Event(c, "user.create", u.ID.Hex(), audit.Success)
	rec.User, rec.Username, rec.Actor = nil, "", nil
	rec.Detail = "owner restored by the platform owner " + p.Username
	h.Audit.Write(ctx, t.ID, rec)
	h.Audit.Write(ctx, p.TenantID, audit.Event(c, "tenant.owner.create", t.ID, audit.Success))
	c.JSON(http.StatusCreated, u)
	return nil
}

// listQuery is the query of GET /users: the filters ?role=, ?status= and
// ?q= (the start of a username or an email address, so never longer than
// an email address), and the page.
type listQuery struct {
	httpx.PageQuery
	Role   access.Role `json:"role" validate:"omitempty,oneof=owner admin support member"`
	Status string      `json:"status" validate:"omitempty,oneof=active disabled"`
	Q      string      `json:"q" validate:"max=254"`
}

func (h *Handler) list(c *gin.Context) error {
	var q listQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	f := Filter{Role: string(q.Role), Status: q.Status, Q: q.Q}
	list, next, err := h.Users.List(c.Request.Context(), authn.From(c).TenantID, f, q.Page())
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
	p := authn.From(c)
	u, err := h.Users.Create(c.Request.Context(), p.TenantID, req, p)
	if err != nil {
		return err
	}
	h.audit(c, "user.create", u.ID.Hex())
	c.JSON(http.StatusCreated, u)
	return nil
}

func (h *Handler) me(c *gin.Context) error {
	p := authn.From(c)
	u, err := h.Users.Get(c.Request.Context(), p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

func (h *Handler) get(c *gin.Context) error {
	p := authn.From(c)
	id, err := h.Users.PathID(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	if id != p.UserID {
		// Before the lookup: a 404 would tell which ids exist.
		if err := p.Check(access.ViewUsers); err != nil {
			return err
		}
	}
	u, err := h.Users.Get(c.Request.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

func (h *Handler) update(c *gin.Context) error {
	id, err := h.Users.PathID(c.Request.Context(), authn.From(c), c.Param("id"))
	if err != nil {
		return err
	}
	var req Patch
	if err := httpx.BindPatch(c, &req); err != nil {
		return err
	}
	u, err := h.Users.Update(c.Request.Context(), authn.From(c), id, req)
	if err != nil {
		return err
	}
	h.audit(c, "user.update", u.ID.Hex())
	c.JSON(http.StatusOK, u)
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	id, err := h.Users.PathID(c.Request.Context(), authn.From(c), c.Param("id"))
	if err != nil {
		return err
	}
	if err := h.Users.Delete(c.Request.Context(), authn.From(c), id); err != nil {
		return err
	}
	h.audit(c, "user.delete", id.Hex())
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) audit(c *gin.Context, action, target string) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, target, audit.Success))
}
