package httpx

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/errs"
)

// Page is a list request: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Default and largest page sizes (SPEC §3).
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageOf reads ?limit= and ?cursor=.
func PageOf(c *gin.Context) (Page, error) {
	p := Page{Limit: DefaultLimit, Cursor: c.Query("cursor")}
	if s, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return p, errs.E(errs.Invalid, "limit", "Must be an integer from 1 to 500.")
		}
		p.Limit = n
	}
	return p, nil
}

// List is the body of every list answer.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// NewList builds a list answer; next is "" on the last page.
func NewList[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
