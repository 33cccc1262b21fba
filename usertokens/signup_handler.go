package usertokens

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
)

type signupRequest struct {
	Username  string `json:"username"`
	Password1 string `json:"password1"`
	Password2 string `json:"password2"`
	Email     string `json:"email"`
	AcceptTOS *bool  `json:"accept_tos"`
}

// signup serves POST /signup (form or JSON): a new member, logged in.
func (h *Handler) signup(c *gin.Context) error {
	ctx := c.Request.Context()
	p := authn.From(c)
	t, err := h.Service.Tenants.FindByID(ctx, p.TenantID)
	if err == nil {
		err = SignupAllowed(t)
	}
	if err != nil {
		return err
	}
	var req signupRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.Service.Signup(ctx, t, SignupInput{Username: req.Username, Password1: req.Password1,
		Password2: req.Password2, Email: req.Email, AcceptTOS: req.AcceptTOS, AppToken: p.AppTokenID})
	if err != nil {
		return err
	}
	rec := audit.Event(c, "signup", s.User.ID.Hex(), audit.Success)
	id := s.User.ID
	rec.User, rec.Username, rec.Detail = &id, s.User.Username, "token "+s.Token.ID.Hex()
	h.Audit.Write(ctx, t.ID, rec)
	c.JSON(http.StatusCreated, ResponseOf(s))
	return nil
}
