package audit

import (
	"context"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Store keeps every tenant's audit records. The engines implement it.
type Store interface {
	// Insert adds r to tenant's log. Errors: Unavailable.
	Insert(ctx context.Context, tenantID string, r *Record) error
	// Find returns up to pg.Limit records matching f, newest first, after
	// the cursor (a record id), and the next page's cursor ("" at the
	// end). Errors: Invalid (page.BadCursor), Unavailable.
	Find(ctx context.Context, tenantID string, f Filter, pg page.Page) ([]Record, string, error)
}

// Write stores r in tenant's audit log, stamped now. The record's id is
// made from the same moment, so the log's id order is its time order and a
// since filter is a range of ids. The write outlives a client that hangs
// up: the action it records has happened.
func (l *Log) Write(ctx context.Context, tenantID string, r Record) {
	r.At = clock.Stored(l.Now())
	r.ID = ids.NewAt(r.At)
	if err := l.Store.Insert(context.WithoutCancel(ctx), tenantID, &r); err != nil {
		l.Logger.Error("audit write failed", zap.String("action", r.Action), zap.String("request_id", r.RequestID), zap.Error(err))
	}
}

// Find returns a page of tenant's records matching f, newest first.
// Errors: Invalid (cursor), Unavailable.
func (l *Log) Find(ctx context.Context, tenantID string, f Filter, pg page.Page) ([]Record, string, error) {
	return l.Store.Find(ctx, tenantID, f, pg)
}
