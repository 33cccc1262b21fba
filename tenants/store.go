package tenants

import (
	"context"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps the tenant registry and each tenant's database. The engines
// (store/sqlite, store/mongo) implement it.
type Store interface {
	// Insert adds t. Errors: Conflict (ErrSlugTaken: slug or id taken),
	// Unavailable.
	Insert(ctx context.Context, t *Tenant) error
	// FindByID returns tenant id. Errors: NotFound (ErrNotFound), Unavailable.
	FindByID(ctx context.Context, id string) (*Tenant, error)
	// FindBySlug returns the tenant of slug. Errors: NotFound, Unavailable.
	FindBySlug(ctx context.Context, slug string) (*Tenant, error)
	// Find returns a page of tenants ordered by slug, after the cursor (a
	// slug), and the next page's cursor ("" on the last). Errors: Invalid
	// (page.BadCursor), Unavailable.
	Find(ctx context.Context, pg page.Page) ([]Tenant, string, error)
	// Replace writes t over the stored tenant of the same id.
	// Errors: NotFound, Unavailable.
	Replace(ctx context.Context, t *Tenant) error
	// CreateDatabase makes tenant id's database with its tables and
	// indexes. Calling it again changes nothing. Errors: Unavailable.
	CreateDatabase(ctx context.Context, id string) error
	// Delete drops tenant id's database and removes its record.
	// Errors: NotFound, Unavailable.
	Delete(ctx context.Context, id string) error
}

// Errors the engines return.
var (
	ErrNotFound  = errs.E(errs.NotFound, "tenant", "No such tenant.")
	ErrSlugTaken = errs.E(errs.Conflict, "slug", "A tenant with this slug already exists.")
)
