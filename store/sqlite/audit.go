package sqlite

import (
	"context"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

// Insert implements audit.Store. A record without an id gets one made
// from its time, as audit.Log.Write makes them. The record's pending
// webhook deliveries are written in the same transaction
// (insertWithOutbox).
func (s auditStore) Insert(ctx context.Context, tenantID string, r *audit.Record) error {
	if r.ID.IsZero() {
		r.ID = ids.NewAt(r.At)
	}
	args := []any{idArg(r.ID), r.At.UnixMilli(), r.Action, optID(r.User),
		r.Username, optID(r.Actor), r.Target, r.IP, r.RequestID, r.Outcome, r.Detail}
	err := s.db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		return insertWithOutbox(keyed(ctx), f, r, args)
	})
	return s.db.fail("insert audit record", err, nil)
}

func scanRecord(sc scanner, r *audit.Record) error {
	return sc.Scan(idCol{&r.ID}, timeCol{&r.At}, &r.Action, optIDCol{&r.User}, &r.Username, optIDCol{&r.Actor},
		&r.Target, &r.IP, &r.RequestID, &r.Outcome, &r.Detail)
}

// Find implements audit.Store.
func (s auditStore) Find(ctx context.Context, tenantID string, flt audit.Filter, pg page.Page) ([]audit.Record, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := auditFindSQL(flt, after, limit+1)
	return pageIn(ctx, s.db, tenantID, "list audit records", q, args, limit, scanRecord,
		func(r *audit.Record) string { return r.ID.Hex() })
}
