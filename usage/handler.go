package usage

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
)

// outcomeKey is the Gin context key of an outcome a handler or middleware
// decided itself (SetOutcome).
const outcomeKey = "usage.outcome"

// SetOutcome makes o the outcome Middleware counts for the request,
// whatever its status: how a refusal that is not a 401 or 403 (the rate
// limit's) tells its kind.
func SetOutcome(c *gin.Context, o Outcome) { c.Set(outcomeKey, o) }

// Classify is the outcome of a request whose App-Token was verified and
// that was answered with status: 401 and 403 are Denied (a bad user token,
// a missing permission), every other status OK.
func Classify(status int) Outcome {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return Denied
	}
	return OK
}

// Middleware counts every request whose App-Token was verified (authn.
// Identified), once it has been answered: mount it outside httpx.Errors,
// which writes the status of an error.
func (c *Counter) Middleware() gin.HandlerFunc {
	return func(g *gin.Context) {
		g.Next()
		p := authn.Identified(g)
		if p == nil {
			return
		}
		o := OutcomeOf(g.Writer.Status(), g.GetBool(authn.RateLimitedKey))
		if v, ok := g.Get(outcomeKey); ok {
			o, _ = v.(Outcome)
		}
		c.Count(p.TenantID, p.AppTokenID, o, c.now())
	}
}

// OutcomeOf is the outcome of a request answered with status, refused by
// its app token's rate limit or not.
func OutcomeOf(status int, rateLimited bool) Outcome {
	if rateLimited {
		return RateLimited
	}
	return Classify(status)
}

// CountAnswer counts a request answered without Gin (admin's lean path)
// as Middleware counts one: v says whose it is (nothing is counted when
// no app token was verified), status how it was answered.
func (c *Counter) CountAnswer(v authn.Verdict, status int) {
	if !v.Counted {
		return
	}
	c.Count(v.Principal.TenantID, v.Principal.AppTokenID, OutcomeOf(status, v.RateLimited), c.now())
}

// Handler serves GET /app_tokens/{token}/usage and GET /usage.
type Handler struct {
	Service   *Service
	AppTokens *apptokens.Service
}

// Register mounts the routes on rg, which must authenticate users.
func (h *Handler) Register(rg gin.IRouter) {
	rg.GET("/app_tokens/:token/usage", authn.Require(access.ReadUsage), httpx.Handle(h.series))
	rg.GET("/usage", authn.Require(access.ReadUsage), httpx.Handle(h.top))
}

type seriesQuery struct {
	Since       string `json:"since" validate:"omitempty,rfc3339"`
	Until       string `json:"until" validate:"omitempty,rfc3339"`
	Granularity string `json:"granularity" validate:"omitempty,oneof=hour day"`
}

// Series is the body of GET /app_tokens/{token}/usage.
type Series struct {
	Series []Point `json:"series"`
}

// parseTime returns the time of s, checked by the rfc3339 tag; zero for "".
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func (h *Handler) series(c *gin.Context) error {
	var q seriesQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	r, err := RangeOf(parseTime(q.Since), parseTime(q.Until), h.Service.Now())
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	tenantID := authn.From(c).TenantID
	tok, err := h.AppTokens.Get(ctx, tenantID, c.Param("token"))
	if err != nil {
		return err
	}
	g := Granularity(q.Granularity)
	if g == "" {
		g = Hour
	}
	points, err := h.Service.Series(ctx, tenantID, tok.ID, r, g)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Series{Series: points})
	return nil
}

type topQuery struct {
	Since string `json:"since" validate:"omitempty,rfc3339"`
	Until string `json:"until" validate:"omitempty,rfc3339"`
	Limit *int   `json:"limit" validate:"omitempty,min=1,max=100"`
}

// DefaultTop is how many app tokens GET /usage lists unless asked.
const DefaultTop = 10

// TopItem is one app token of GET /usage.
type TopItem struct {
	AppTokenID  string `json:"app_token_id"`
	Name        string `json:"name"`
	OK          int64  `json:"ok"`
	Denied      int64  `json:"denied"`
	RateLimited int64  `json:"rate_limited"`
}

// Top is the body of GET /usage.
type Top struct {
	Items []TopItem `json:"items"`
}

func (h *Handler) top(c *gin.Context) error {
	var q topQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	r, err := RangeOf(parseTime(q.Since), parseTime(q.Until), h.Service.Now())
	if err != nil {
		return err
	}
	limit := DefaultTop
	if q.Limit != nil {
		limit = *q.Limit
	}
	ctx := c.Request.Context()
	tenantID := authn.From(c).TenantID
	list, err := h.Service.Top(ctx, tenantID, r, limit)
	if err != nil {
		return err
	}
	items := make([]TopItem, 0, len(list))
	for _, t := range list {
		name := "" // a token deleted since keeps its counts, without a name
		tok, err := h.AppTokens.Store.FindByID(ctx, tenantID, t.AppTokenID)
		switch {
		case err == nil:
			name = tok.Name
		case !errs.Is(err, errs.NotFound):
			return err
		}
		items = append(items, TopItem{AppTokenID: t.AppTokenID.Hex(), Name: name,
			OK: t.Counts[OK], Denied: t.Counts[Denied], RateLimited: t.Counts[RateLimited]})
	}
	c.JSON(http.StatusOK, Top{Items: items})
	return nil
}
