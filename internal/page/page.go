// Package page is how every list is asked for and answered: at most Limit
// items after an opaque cursor, and the cursor of the next page.
package page

import (
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Page is a list request: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Size is the number of items p asks for: DefaultLimit when it names none.
func (p Page) Size() int {
	if p.Limit < 1 {
		return DefaultLimit
	}
	return p.Limit
}

// AfterID reads a cursor made of a record id, as every list keyed by id
// gives out: nil for "" (the first page), BadCursor for anything else that
// is not one.
func (p Page) AfterID() (*ids.ID, error) {
	if p.Cursor == "" {
		return nil, nil
	}
	id, err := ids.Parse(p.Cursor)
	if err != nil {
		return nil, BadCursor
	}
	return &id, nil
}

// Default and largest page sizes.
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
