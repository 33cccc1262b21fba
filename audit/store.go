package audit

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
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

// writeTries is how often Write tries a record the store refused as
// unavailable (busy under load, failing over), waiting retryWait more
// before each next try.
const (
	writeTries = 4
	retryWait  = 50 * time.Millisecond
)

// Write stores r in tenant's audit log, stamped now. The record's id is
// made from the same moment, so the log's id order is its time order and a
// since filter is a range of ids. The write outlives a client that hangs
// up, and is tried again while the store answers unavailable: the action
// it records has happened (a failed login under a flood above all).
func (l *Log) Write(ctx context.Context, tenantID string, r Record) {
	r.At = clock.Stored(l.Now())
	r.ID = ids.NewAt(r.At)
	ctx = context.WithoutCancel(ctx)
	var err error
	for try := range writeTries {
		if err = l.Store.Insert(ctx, tenantID, &r); !errs.Is(err, errs.Unavailable) {
			break
		}
		time.Sleep(time.Duration(try+1) * retryWait)
	}
	if err != nil {
		l.Logger.Error("audit write failed", zap.String("action", r.Action), zap.String("request_id", r.RequestID), zap.Error(err))
	}
}

// Find returns a page of tenant's records matching f, newest first.
// Errors: Invalid (cursor), Unavailable.
func (l *Log) Find(ctx context.Context, tenantID string, f Filter, pg page.Page) ([]Record, string, error) {
	return l.Store.Find(ctx, tenantID, f, pg)
}
