package httpx

import (
	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/page"
)

// PageOf reads ?limit= and ?cursor= alone, leaving the other parameters to
// the handler; a list whose whole query is one type embeds PageQuery and
// uses BindQuery instead.
func PageOf(c *gin.Context) (page.Page, error) {
	var q PageQuery
	all := c.Request.URL.Query()
	mine := map[string][]string{}
	for _, k := range []string{"limit", "cursor"} {
		if v, ok := all[k]; ok {
			mine[k] = v
		}
	}
	err := finish(decodeForm(mine, &q, "Unknown parameter."), nil, &q)
	return q.Page(), err
}
