package usertokens

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/tenants"
)

// consoleLoginRequest is the body of POST /console/login.
type consoleLoginRequest struct {
	Tenant   string `json:"tenant" validate:"required"`
	Username string `json:"username" validate:"required"`
	Password string `json:"password" validate:"required"`
	Seconds  *int64 `json:"seconds_until_expire"`
	Long     bool   `json:"long"`
}

// RegisterConsole mounts POST /console/login on rg, which must not
// authenticate: the console signs in by tenant slug, without an App-Token.
// ensure makes a tenant's console app token when it has none.
func (h *Handler) RegisterConsole(rg gin.IRouter, ensure func(context.Context, *tenants.Tenant) error) {
	rg.POST("/console/login", httpx.Handle(func(c *gin.Context) error { return h.consoleLogin(c, ensure) }))
}

func (h *Handler) consoleLogin(c *gin.Context, ensure func(context.Context, *tenants.Tenant) error) error {
	var req consoleLoginRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	t, s, err := h.Service.ConsoleLogin(c.Request.Context(), ConsoleLoginInput{Tenant: req.Tenant,
		LoginInput: LoginInput{Username: req.Username, Password: req.Password, Seconds: req.Seconds, Long: req.Long}}, ensure)
	if t != nil {
		// Audit records and the access log name the tenant and the
		// console app token, as for a login with an App-Token.
		c.Set(authn.PrincipalKey, &access.Principal{TenantID: t.ID, Platform: t.Platform, AppTokenID: access.ConsoleApp})
	}
	if err != nil {
		var failed *LoginError
		if t != nil && errors.As(err, &failed) {
			h.auditFailedLogin(c, failed)
		}
		return err
	}
	rec := audit.Event(c, "login", s.Token.ID.Hex(), audit.Success)
	id := s.User.ID
	rec.User, rec.Username = &id, s.User.Username
	rec.Detail = "console"
	h.Audit.Write(c.Request.Context(), t.ID, rec)
	c.JSON(http.StatusOK, ResponseOf(s))
	return nil
}
