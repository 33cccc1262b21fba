package apptokens

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/tenants"
)

// Handler serves /app_tokens.
type Handler struct {
	Service *Service
	Audit   *audit.Log
}

// Register mounts the app token routes on rg, which must authenticate users.
// PUT is deliberately absent: it answers 405.
func (h *Handler) Register(rg gin.IRouter) {
	g := rg.Group("/app_tokens")
	g.POST("", authn.MakesCredential(), authn.Require(access.ManageAppTokens), httpx.Handle(h.create))
	g.GET("", authn.Require(access.ViewAppTokens), httpx.Handle(h.list))
	g.GET("/:token", authn.Require(access.ViewAppTokens), httpx.Handle(h.get))
	g.PATCH("/:token", authn.Require(access.ExpireAppTokens), httpx.Handle(h.change))
	g.DELETE("/:token", authn.Require(access.ExpireAppTokens), httpx.Handle(h.delete))
	g.POST("/:token/rotate", authn.MakesCredential(), authn.Require(access.ManageAppTokens), httpx.Handle(h.rotate))
}

// RegisterPlatform mounts POST /tenants/{id or slug}/app_tokens on rg,
// which must authenticate users: a platform owner mints an app token for
// any tenant, the way back in for a tenant that has none left.
func (h *Handler) RegisterPlatform(rg gin.IRouter) {
	rg.POST("/tenants/:tenant/app_tokens", authn.MakesCredential(), authn.Require(access.ManageTenants), httpx.Handle(h.createFor))
}

type createRequest struct {
	Seconds    *int64          `json:"seconds_until_expire"`
	Name       string          `json:"name" validate:"max=200,safetext"`
	Scopes     []string        `json:"scopes"`
	ExternalID string          `json:"external_id" validate:"max=128,safetext"`
	Meta       json.RawMessage `json:"meta"`
	// RateLimit is null, {"limit", "seconds"} or absent (the tenant's
	// default).
	RateLimit json.RawMessage `json:"rate_limit"`
	// The server makes every token string: these fields exist only to
	// answer a client that tries to choose one.
	AppToken json.RawMessage `json:"app_token"`
	Token    json.RawMessage `json:"token"`
	ID       json.RawMessage `json:"id"`
}

type createResponse struct {
	AppToken string `json:"app_token"`
	View
}

func (h *Handler) create(c *gin.Context) error {
	p := authn.From(c)
	t, err := h.Service.Tenants.FindByID(c.Request.Context(), p.TenantID)
	if err != nil {
		return err
	}
	by := p.UserID
	tok, err := h.mint(c, t, &by)
	if err != nil {
		return err
	}
	h.audit(c, "app_token.create", tok.ID)
	return nil
}

// createFor mints an app token for the tenant of the path. Its created_by
// stays empty (the caller is no user of that tenant); both the tenant's
// audit log and the platform's record it.
func (h *Handler) createFor(c *gin.Context) error {
	t, err := h.Service.Tenants.Find(c.Request.Context(), c.Param("tenant"))
	if err != nil {
		return err
	}
	tok, err := h.mint(c, t, nil)
	if err != nil {
		return err
	}
	p := authn.From(c)
	rec := audit.Event(c, "app_token.create", tok.ID.Hex(), audit.Success)
	rec.User, rec.Username, rec.Actor = nil, "", nil
	rec.Detail = "minted by the platform owner " + p.Username
	h.Audit.Write(c.Request.Context(), t.ID, rec)
	h.Audit.Write(c.Request.Context(), p.TenantID, audit.Event(c, "tenant.app_token.create", t.ID, audit.Success))
	return nil
}

// mint reads a create request, makes the app token for t and answers 201
// with its secret.
func (h *Handler) mint(c *gin.Context, t *tenants.Tenant, by *ids.ID) (*Token, error) {
	var req createRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return nil, err
	}
	if req.AppToken != nil || req.Token != nil || req.ID != nil {
		return nil, ErrChosenSecret
	}
	limit, set, err := ratelimit.Parse(req.RateLimit, "rate_limit")
	if err != nil {
		return nil, err
	}
	in := New{Name: req.Name, Seconds: req.Seconds, CreatedBy: by, Scopes: req.Scopes, ExternalID: req.ExternalID,
		RateLimit: limit, SetRateLimit: set}
	if meta, err := metaOf(req.Meta); err != nil {
		return nil, err
	} else if meta != nil {
		in.Meta = *meta
	}
	tok, plain, err := h.Service.Create(c.Request.Context(), t, in)
	if err != nil {
		return nil, err
	}
	c.JSON(http.StatusCreated, createResponse{AppToken: plain, View: ViewOf(t.ID, tok, h.Service.Now())})
	return tok, nil
}

func (h *Handler) list(c *gin.Context) error {
	var q httpx.PageQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	list, next, err := h.Service.List(c.Request.Context(), authn.From(c).TenantID, q.Page())
	if err != nil {
		return err
	}
	now, tenantID := h.Service.Now(), authn.From(c).TenantID
	c.JSON(http.StatusOK, page.ListOf(list, next, func(t *Token) View { return ViewOf(tenantID, t, now) }))
	return nil
}

func (h *Handler) get(c *gin.Context) error {
	tok, err := h.Service.Get(c.Request.Context(), authn.From(c).TenantID, c.Param("token"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ViewOf(authn.From(c).TenantID, tok, h.Service.Now()))
	return nil
}

// forceQuery is the query of a change that may remove the tenant's last
// live app token.
type forceQuery struct {
	Force bool `json:"force"`
}

// force reads ?force=true, which only an owner may send.
func force(c *gin.Context) (bool, error) {
	var q forceQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return false, err
	}
	if q.Force {
		if err := authn.From(c).Check(access.ForceAppTokens); err != nil {
			return false, err
		}
	}
	return q.Force, nil
}

// patchRequest is the body of PATCH /app_tokens/{token}. Scopes and meta
// are kept raw, so that null (unrestricted, no meta) differs from absent.
type patchRequest struct {
	Seconds    *int64          `json:"seconds_until_expire"`
	Name       *string         `json:"name" validate:"omitempty,max=200,safetext"`
	Scopes     json.RawMessage `json:"scopes"`
	ExternalID *string         `json:"external_id" validate:"omitempty,max=128,safetext"`
	Meta       json.RawMessage `json:"meta"`
	RateLimit  json.RawMessage `json:"rate_limit"`
}

// details reads the changes of name, scopes and metadata of req.
func (req *patchRequest) details() (Details, error) {
	d := Details{Name: req.Name, ExternalID: req.ExternalID}
	if req.Scopes != nil {
		var names []string
		if err := json.Unmarshal(req.Scopes, &names); err != nil {
			return d, errs.E(errs.Invalid, "scopes", "Must be null or a list of scope names.")
		}
		d.Scopes = &names
	}
	meta, err := metaOf(req.Meta)
	d.Meta = meta
	return d, err
}

// metaOf reads a meta field: nil when absent, "" for null (none), else the
// object's text as given. Errors: Invalid on "meta".
func metaOf(raw json.RawMessage) (*string, error) {
	if raw == nil {
		return nil, nil
	}
	none := ""
	if string(raw) == "null" {
		return &none, nil
	}
	if err := CheckMeta(raw); err != nil {
		return nil, err
	}
	s := string(raw)
	return &s, nil
}

// change serves PATCH /app_tokens/{token}: a new expiry (support staff may
// only expire), and name, scopes and metadata (owners and admins).
func (h *Handler) change(c *gin.Context) error {
	forced, err := force(c)
	if err != nil {
		return err
	}
	var req patchRequest
	if err := httpx.BindPatch(c, &req); err != nil {
		return err
	}
	d, err := req.details()
	if err != nil {
		return err
	}
	limit, setLimit, err := ratelimit.Parse(req.RateLimit, "rate_limit")
	if err != nil {
		return err
	}
	p := authn.From(c)
	if setLimit && !p.Can(access.ManageAppTokens) {
		return errs.E(errs.Forbidden, "rate_limit", "Your role ("+string(p.Role)+") may not change an app token's rate limit.")
	}
	if d.Describes() && !p.Can(access.ManageAppTokens) {
		return errs.E(errs.Forbidden, "permission", "Your role ("+string(p.Role)+") may not change an app token's name, scopes or metadata.")
	}
	// Support staff may expire app tokens but not extend them.
	if req.Seconds != nil && *req.Seconds > 0 && !p.Can(access.ManageAppTokens) {
		return errs.E(errs.Forbidden, "seconds_until_expire", "Your role ("+string(p.Role)+") may only expire app tokens (seconds_until_expire -1 or less).")
	}
	if req.Seconds != nil { // checked before anything changes
		if err := tenants.CheckSeconds(*req.Seconds, tenants.MaxAppTokenTTL); err != nil {
			return err
		}
	}
	ctx := c.Request.Context()
	var tok *Token
	d.RateLimit, d.SetRateLimit = limit, setLimit
	if d.Any() {
		if tok, err = h.Service.Change(ctx, p.TenantID, c.Param("token"), d); err != nil {
			return err
		}
		if d.Describes() {
			h.audit(c, "app_token.change", tok.ID)
		}
		if d.SetRateLimit {
			h.audit(c, "app_token.rate_limit", tok.ID)
		}
	}
	if req.Seconds != nil {
		t, err := h.Service.Tenants.FindByID(ctx, p.TenantID)
		if err != nil {
			return err
		}
		if tok, err = h.Service.SetExpiry(ctx, t, c.Param("token"), *req.Seconds, forced, p.UserID); err != nil {
			return err
		}
		h.audit(c, "app_token.expiry", tok.ID)
	}
	c.JSON(http.StatusOK, ViewOf(p.TenantID, tok, h.Service.Now()))
	return nil
}

func (h *Handler) delete(c *gin.Context) error {
	forced, err := force(c)
	if err != nil {
		return err
	}
	tok, err := h.Service.Delete(c.Request.Context(), authn.From(c).TenantID, c.Param("token"), forced)
	if err != nil {
		return err
	}
	h.audit(c, "app_token.delete", tok.ID)
	c.Status(http.StatusNoContent)
	return nil
}

// rotateRequest is the body of POST /app_tokens/{token}/rotate ({} takes
// the default grace).
type rotateRequest struct {
	Grace *int64 `json:"grace_seconds" validate:"omitempty,min=0,max=604800"`
}

// rotate answers 201 with the successor and its secret, as create does,
// and audits app_token.rotate on the old id with the new one as detail.
func (h *Handler) rotate(c *gin.Context) error {
	var req rotateRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	grace := int64(DefaultGrace)
	if req.Grace != nil {
		grace = *req.Grace
	}
	p := authn.From(c)
	t, err := h.Service.Tenants.FindByID(c.Request.Context(), p.TenantID)
	if err != nil {
		return err
	}
	old, next, plain, err := h.Service.Rotate(c.Request.Context(), t, c.Param("token"), grace, p.UserID)
	if err != nil {
		return err
	}
	rec := audit.Event(c, "app_token.rotate", old.ID.Hex(), audit.Success)
	rec.Detail = "successor " + next.ID.Hex()
	h.Audit.Write(c.Request.Context(), p.TenantID, rec)
	c.JSON(http.StatusCreated, createResponse{AppToken: plain, View: ViewOf(p.TenantID, next, h.Service.Now())})
	return nil
}

func (h *Handler) audit(c *gin.Context, action string, id ids.ID) {
	h.Audit.Write(c.Request.Context(), authn.From(c).TenantID, audit.Event(c, action, id.Hex(), audit.Success))
}
