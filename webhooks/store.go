package webhooks

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps each tenant's webhooks and deliveries. The engines implement
// it, and write a record's deliveries (Outbox) in the same store change as
// the audit record itself (audit.Store.Insert).
type Store interface {
	// Insert adds w. Errors: Unavailable.
	Insert(ctx context.Context, tenantID string, w *Webhook) error
	// FindByID errors: ErrNotFound, Unavailable.
	FindByID(ctx context.Context, tenantID string, id ids.ID) (*Webhook, error)
	// Find returns a page of webhooks, oldest first.
	Find(ctx context.Context, tenantID string, pg page.Page) ([]Webhook, string, error)
	// Replace writes w's url, events, description, status, failing_since
	// and updated. Errors: ErrNotFound, Unavailable.
	Replace(ctx context.Context, tenantID string, w *Webhook) error
	// SetFailing sets (or with nil clears) only w's failing_since.
	SetFailing(ctx context.Context, tenantID string, id ids.ID, since *time.Time) error
	// Delete removes the webhook and its deliveries. Errors: ErrNotFound.
	Delete(ctx context.Context, tenantID string, id ids.ID) error

	// InsertDelivery adds d (a ping). Errors: Unavailable.
	InsertDelivery(ctx context.Context, tenantID string, d *Delivery) error
	// FindDelivery errors: ErrDeliveryNotFound, Unavailable.
	FindDelivery(ctx context.Context, tenantID string, webhook, id ids.ID) (*Delivery, error)
	// Deliveries returns a page of a webhook's deliveries, newest first.
	Deliveries(ctx context.Context, tenantID string, webhook ids.ID, pg page.Page) ([]Delivery, string, error)
	// Due returns up to limit pending deliveries whose next attempt is at
	// or before now, oldest first.
	Due(ctx context.Context, tenantID string, now time.Time, limit int) ([]Delivery, error)
	// Claim takes the lease on attempt d.Attempts+1 of d until until, if
	// no other instance holds it and the delivery is still pending with
	// that many attempts: it reports whether this caller won.
	Claim(ctx context.Context, tenantID string, d *Delivery, now, until time.Time) (bool, error)
	// Settle writes the outcome of the attempt d.Attempts (status,
	// attempts, last_status, last_error, next_attempt, updated) and ends
	// its lease.
	Settle(ctx context.Context, tenantID string, d *Delivery) error
}
