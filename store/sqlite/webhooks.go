package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/webhooks"
)

// webhookStore is the webhooks view of db.
type webhookStore struct{ db *DB }

func webhookArgs(w *webhooks.Webhook) []any {
	events, _ := json.Marshal(w.Events)
	return []any{idArg(w.ID), w.URL, string(events), w.Description, w.Status, w.Secret, w.Created.UnixMilli(),
		w.Updated.UnixMilli(), optID(w.CreatedBy), optTime(w.FailingSince)}
}

func scanWebhook(sc scanner, w *webhooks.Webhook) error {
	var events string
	if err := sc.Scan(idCol{&w.ID}, &w.URL, &events, &w.Description, &w.Status, &w.Secret, timeCol{&w.Created},
		timeCol{&w.Updated}, optIDCol{&w.CreatedBy}, optTimeCol{&w.FailingSince}); err != nil {
		return err
	}
	return json.Unmarshal([]byte(events), &w.Events)
}

func deliveryArgs(d *webhooks.Delivery) []any {
	return []any{idArg(d.ID), idArg(d.Webhook), idArg(d.Event), d.Type, d.Payload, d.Status, d.Attempts,
		d.LastStatus, d.LastError, optTime(d.NextAttempt), d.Created.UnixMilli(), d.Updated.UnixMilli()}
}

func scanDelivery(sc scanner, d *webhooks.Delivery) error {
	return sc.Scan(idCol{&d.ID}, idCol{&d.Webhook}, idCol{&d.Event}, &d.Type, &d.Payload, &d.Status, &d.Attempts,
		&d.LastStatus, &d.LastError, optTimeCol{&d.NextAttempt}, timeCol{&d.Created}, timeCol{&d.Updated})
}

// Insert implements webhooks.Store.
func (s webhookStore) Insert(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	_, err := s.db.execIn(ctx, tenantID, qWebhookInsert, webhookArgs(w)...)
	return s.db.fail("insert webhook", err, nil)
}

// FindByID implements webhooks.Store.
func (s webhookStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*webhooks.Webhook, error) {
	return findIn(ctx, s.db, tenantID, "find webhook", qWebhookByID, idArg(id), scanWebhook, webhooks.ErrNotFound)
}

// Find implements webhooks.Store.
func (s webhookStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]webhooks.Webhook, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := qWebhookFirst, []any{limit + 1}
	if after != nil {
		q, args = qWebhookAfter, []any{idArg(*after), limit + 1}
	}
	return pageIn(ctx, s.db, tenantID, "list webhooks", q, args, limit, scanWebhook,
		func(w *webhooks.Webhook) string { return w.ID.Hex() })
}

// Replace implements webhooks.Store.
func (s webhookStore) Replace(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	events, _ := json.Marshal(w.Events)
	n, err := s.db.execIn(ctx, tenantID, qWebhookReplace, w.URL, string(events), w.Description, w.Status,
		w.Updated.UnixMilli(), optTime(w.FailingSince), idArg(w.ID))
	return s.db.changed("replace webhook", n, err, webhooks.ErrNotFound)
}

// SetFailing implements webhooks.Store.
func (s webhookStore) SetFailing(ctx context.Context, tenantID string, id ids.ID, since *time.Time) error {
	n, err := s.db.execIn(ctx, tenantID, qWebhookFailing, optTime(since), idArg(id))
	return s.db.changed("set webhook failing", n, err, webhooks.ErrNotFound)
}

// Delete implements webhooks.Store: the webhook and its deliveries in one
// transaction.
func (s webhookStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	var n int64
	err := s.db.writeTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		return inTx(ctx, f, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, qWebhookDelete, idArg(id))
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, qDeliveryOfWebhook, idArg(id))
			return err
		})
	})
	return s.db.changed("delete webhook", n, err, webhooks.ErrNotFound)
}

// InsertDelivery implements webhooks.Store.
func (s webhookStore) InsertDelivery(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	_, err := s.db.execIn(ctx, tenantID, qDeliveryInsert, deliveryArgs(d)...)
	return s.db.fail("insert delivery", err, nil)
}

// FindDelivery implements webhooks.Store.
func (s webhookStore) FindDelivery(ctx context.Context, tenantID string, webhook, id ids.ID) (*webhooks.Delivery, error) {
	var d webhooks.Delivery
	err := s.db.inTenant(ctx, tenantID, func(ctx context.Context, f *file) error {
		return scanDelivery(f.row(keyed(ctx), qDeliveryByID, idArg(id), idArg(webhook)), &d)
	})
	if err != nil {
		return nil, s.db.fail("find delivery", err, webhooks.ErrDeliveryNotFound)
	}
	return &d, nil
}

// Deliveries implements webhooks.Store.
func (s webhookStore) Deliveries(ctx context.Context, tenantID string, webhook ids.ID, pg page.Page) ([]webhooks.Delivery, string, error) {
	after, err := pg.AfterID()
	if err != nil {
		return nil, "", err
	}
	limit := pg.Size()
	q, args := qDeliveryFirst, []any{idArg(webhook), limit + 1}
	if after != nil {
		q, args = qDeliveryAfter, []any{idArg(webhook), idArg(*after), limit + 1}
	}
	return pageIn(ctx, s.db, tenantID, "list deliveries", q, args, limit, scanDelivery,
		func(d *webhooks.Delivery) string { return d.ID.Hex() })
}

// Due implements webhooks.Store.
func (s webhookStore) Due(ctx context.Context, tenantID string, now time.Time, limit int) ([]webhooks.Delivery, error) {
	list, _, err := pageIn(ctx, s.db, tenantID, "due deliveries", qDeliveryDue, []any{now.UnixMilli(), limit}, limit,
		scanDelivery, func(d *webhooks.Delivery) string { return "" })
	return list, err
}

// Claim implements webhooks.Store: one conditional UPDATE (SQLite runs it
// under the file's write lock, so of two instances one changes the row):
// it takes the lease when the delivery is pending with d.Attempts attempts
// and no lease runs.
func (s webhookStore) Claim(ctx context.Context, tenantID string, d *webhooks.Delivery, now, until time.Time) (bool, error) {
	n, err := s.db.execIn(ctx, tenantID, qDeliveryClaim, until.UnixMilli(), idArg(d.ID), d.Attempts, now.UnixMilli())
	return n == 1, s.db.fail("claim delivery", err, nil)
}

// Settle implements webhooks.Store.
func (s webhookStore) Settle(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	n, err := s.db.execIn(ctx, tenantID, qDeliverySettle, d.Status, d.Attempts, d.LastStatus, d.LastError,
		optTime(d.NextAttempt), d.Updated.UnixMilli(), idArg(d.ID))
	return s.db.changed("settle delivery", n, err, webhooks.ErrDeliveryNotFound)
}

// inTx runs f in a transaction of f's file (BEGIN IMMEDIATE, see dsn).
func inTx(ctx context.Context, f *file, do func(*sql.Tx) error) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := do(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// insertWithOutbox inserts audit record r and, in the same transaction,
// the pending delivery of r to each enabled webhook whose events choose
// it: a crash leaves both or neither.
func insertWithOutbox(ctx context.Context, f *file, r *audit.Record, args []any) error {
	return inTx(ctx, f, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, qWebhookEnabled)
		if err != nil {
			return err
		}
		hooks, err := collect(rows, scanWebhook)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qAuditInsert, args...); err != nil {
			return err
		}
		for _, d := range webhooks.Outbox(hooks, r) {
			if _, err := tx.ExecContext(ctx, qDeliveryInsert, deliveryArgs(&d)...); err != nil {
				return err
			}
		}
		return nil
	})
}
