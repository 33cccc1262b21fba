package usertokens

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
)

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required"`
}

// refresh serves POST /token/refresh (form or JSON): a new session for a
// refresh token, in the login answer's shape.
func (h *Handler) refresh(c *gin.Context) error {
	var req refreshRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	p := authn.From(c)
	t, err := h.Service.Tenants.FindByID(ctx, p.TenantID)
	if err != nil {
		return err
	}
	s, parent, err := h.Service.Refresh(ctx, t, RefreshInput{RefreshToken: req.RefreshToken, AppToken: p.AppTokenID})
	var rec audit.Record
	switch {
	case err == nil:
		rec = audit.Event(c, "refresh", s.Token.ID.Hex(), audit.Success)
		id := s.User.ID
		rec.User, rec.Username, rec.Detail = &id, s.User.Username, "replaces "+parent.ID.Hex()
	case errors.Is(err, errRefreshReused):
		rec = audit.Event(c, "refresh.reuse", parent.ID.Hex(), audit.Denied)
		rec.User, rec.Detail = &parent.UserID, "revoked chain "+parent.Chain.Hex()
	case errs.Is(err, errs.Unauthorized):
		rec = audit.Event(c, "refresh", "", audit.Failure)
		if parent != nil {
			rec.Target, rec.User = parent.ID.Hex(), &parent.UserID
		}
	}
	if rec.Action != "" {
		h.Audit.Write(ctx, t.ID, rec)
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ResponseOf(s))
	return nil
}
