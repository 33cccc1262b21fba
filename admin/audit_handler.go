package admin

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// AuditHandler serves GET /audit.
type AuditHandler struct {
	Audit *audit.Log
}

// Register mounts the audit route on rg, which must authenticate users.
func (h *AuditHandler) Register(rg gin.IRouter) {
	rg.GET("/audit", authn.Require(authn.ReadAudit), h.list)
}

func (h *AuditHandler) list(c *gin.Context) {
	pg, perr := httpx.PageOf(c)
	f := audit.Filter{Action: c.Query("action")}
	bad := map[string]string{}
	if s := c.Query("user"); s != "" {
		id, err := secret.ParseID(s, "user")
		if err != nil {
			bad["user"] = errs.MalformedID
		}
		f.User = &id
	}
	if s := c.Query("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			bad["since"] = "Must be an RFC 3339 time, such as 2026-01-02T15:04:05Z."
		}
		f.Since = &t
	}
	if err := errs.Join(perr, errs.Fields(bad)); err != nil {
		httpx.Fail(c, err)
		return
	}
	recs, next, err := h.Audit.Find(c.Request.Context(), authn.From(c).TenantID, f, pg)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	c.JSON(http.StatusOK, page.NewList(recs, next))
}
