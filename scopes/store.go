package scopes

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the catalog in the control store and answers, per tenant,
// whether a live token holds a scope. The engines implement it.
type Store interface {
	// Put writes s, adding it or replacing the entry of its name (Created
	// is kept from the first Put). Errors: Unavailable.
	Put(ctx context.Context, s *Scope) error
	// FindByName returns scope name. Errors: NotFound (ErrNotFound),
	// Unavailable.
	FindByName(ctx context.Context, name string) (*Scope, error)
	// Find returns a page of the catalog in name order after the cursor
	// (a name), and the next page's cursor ("" on the last).
	// Errors: Invalid (page.BadCursor), Unavailable.
	Find(ctx context.Context, pg page.Page) ([]Scope, string, error)
	// Delete removes scope name. Errors: NotFound (ErrNotFound), Unavailable.
	Delete(ctx context.Context, name string) error
	// Held reports whether a token of tenant live at now (an app token or
	// a user token) names scope name, read on an index of the tokens'
	// scope names, not by reading every token. Errors: Unavailable.
	Held(ctx context.Context, tenantID, name string, now time.Time) (bool, error)
}
