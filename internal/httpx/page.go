package httpx

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
)

// PageOf reads ?limit= and ?cursor=.
func PageOf(c *gin.Context) (page.Page, error) {
	p := page.Page{Limit: page.DefaultLimit, Cursor: c.Query("cursor")}
	if s, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > page.MaxLimit {
			return p, errs.E(errs.Invalid, "limit", "Must be an integer from 1 to 500.")
		}
		p.Limit = n
	}
	return p, nil
}
