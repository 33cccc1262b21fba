// Package page is how every list is asked for and answered: at most Limit
// items after an opaque cursor, and the cursor of the next page.
package page

import "github.com/latchkey/latchkey/internal/errs"

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

// BadCursor is the error for a malformed ?cursor=. A well-formed cursor is
// a position within the caller's tenant and list, not a credential: the
// engines do not check that a list answer gave it out (docs/API.md).
var BadCursor = errs.E(errs.Invalid, "cursor", "This cursor is not valid.")

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

// ListOf builds a list answer of records each shown as view makes it; next
// is "" on the last page.
func ListOf[T, V any](records []T, next string, view func(*T) V) List[V] {
	views := make([]V, len(records))
	for i := range records {
		views[i] = view(&records[i])
	}
	return NewList(views, next)
}
