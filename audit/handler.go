package audit

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Handler serves GET /audit.
type Handler struct {
	Audit *Log
}

// Register mounts the audit route on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	rg.GET("/audit", authn.Require(access.ReadAudit), httpx.Handle(h.list))
}

// auditQuery is the query of GET /audit.
type auditQuery struct {
	httpx.PageQuery
	Action string `json:"action"`
	User   string `json:"user" validate:"omitempty,mongodb"`
	Since  string `json:"since" validate:"omitempty,rfc3339"`
}

func (h *Handler) list(c *gin.Context) error {
	var q auditQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	f := Filter{Action: q.Action}
	if q.User != "" {
		id, _ := ids.Parse(q.User) // the tag checked it
		f.User = &id
	}
	if q.Since != "" {
		t, _ := time.Parse(time.RFC3339, q.Since) // the tag checked it
		f.Since = &t
	}
	recs, next, err := h.Audit.Find(c.Request.Context(), authn.From(c).TenantID, f, q.Page())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page.NewList(recs, next))
	return nil
}
