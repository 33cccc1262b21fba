package scopes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
)

// Handler serves /scopes.
type Handler struct {
	Service *Service
	Audit   *audit.Log
}

// Register mounts the catalog routes on rg, which must authenticate users:
// any caller lists it (its own session suffices, so it is no management
// route); platform owners change it.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/scopes")
	g.GET("", httpx.Handle(h.list))
	g.PUT("/:name", authn.Require(access.ManageTenants), httpx.Handle(h.put))
	g.DELETE("/:name", authn.Require(access.ManageTenants), httpx.Handle(h.delete))
}

type putRequest struct {
	Description string `json:"description" validate:"max=500,safetext"`
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

func (h *Handler) put(c *gin.Context) error {
	var req putRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	sc, err := h.Service.Put(c.Request.Context(), c.Param("name"), req.Description)
	if err != nil {
		return err
	}
	h.audit(c, "scope.put", sc.Name)
	c.JSON(http.StatusOK, sc)
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	name := c.Param("name")
	if err := h.Service.Delete(c.Request.Context(), name); err != nil {
		return err
	}
	h.audit(c, "scope.delete", name)
	c.Status(http.StatusNoContent)
	return nil
}

func (h *Handler) audit(c *gin.Context, action, name string) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, name, audit.Success))
}
