package apptokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the app tokens of every tenant database. The engines
// (internal/sqlite, internal/mongo) implement it; every call names the
// tenant.
type Store interface {
	// Insert adds t. Errors: Conflict (id taken), Unavailable.
	Insert(ctx context.Context, tenantID string, t *Token) error
	// FindByID returns token id. Errors: NotFound (ErrNotFound), Unavailable.
	FindByID(ctx context.Context, tenantID string, id ids.ID) (*Token, error)
	// Find returns a page of tokens, newest first, after the cursor (an
	// id), and the next page's cursor ("" on the last). Errors: Invalid
	// (page.BadCursor), Unavailable.
	Find(ctx context.Context, tenantID string, pg page.Page) ([]Token, string, error)
	// LiveExcept reports whether the tenant has a token other than except
	// that is still live at now. Errors: Unavailable.
	LiveExcept(ctx context.Context, tenantID string, except ids.ID, now time.Time) (bool, error)
	// SetExpires changes token id's expiry. Errors: NotFound, Unavailable.
	SetExpires(ctx context.Context, tenantID string, id ids.ID, expires time.Time) error
	// Delete removes token id. Errors: NotFound, Unavailable.
	Delete(ctx context.Context, tenantID string, id ids.ID) error
	// PurgeExpired deletes the tokens that expired before cutoff and
	// returns how many. Errors: Unavailable.
	PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error)
}

// ErrNotFound is the engines' answer for a missing app token.
var ErrNotFound = errs.E(errs.NotFound, "token", "No such app token.")
