// Package migrate copies a whole installation from one engine to another
// (latchkey migrate).
package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/store"
	"github.com/latchkey/latchkey/usage"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// Report counts what Copy copied.
type Report struct {
	Tenants, Users, AppTokens, Tokens, Audit, Scopes, Webhooks, Deliveries int
	Usage                                                                  int // hourly buckets
}

// ErrTargetNotEmpty is Copy's answer for a target that has tenants.
var ErrTargetNotEmpty = errs.E(errs.Conflict, "target", "The target store is not empty; copy only into an empty store.")

// Copy copies a whole installation from one store to another (latchkey
// migrate): every tenant with its settings and status, users with their
// password hashes, app tokens, user tokens with their refresh chains,
// usage buckets, and audit records, record by record with their ids (scopes,
// metadata and hints are fields of the tokens), the scope catalog, and the token tag keys,
// so every token string stays valid. Lockout claims are not copied: they only count failed logins
// of the current window. It refuses a target that has any tenant. Errors:
// Conflict (ErrTargetNotEmpty), Unavailable.
func Copy(ctx context.Context, from, to store.Store) (Report, error) {
	var rep Report
	if existing, _, err := to.Tenants().Find(ctx, page.Page{Limit: 1}); err != nil {
		return rep, err
	} else if len(existing) > 0 {
		return rep, ErrTargetNotEmpty
	}
	keys, err := from.Keys().Keys(ctx)
	if err != nil {
		return rep, fmt.Errorf("copy keys: %w", err)
	}
	for _, k := range keys {
		if err := to.Keys().InsertKey(ctx, k); errs.Is(err, errs.Conflict) {
			return rep, ErrTargetNotEmpty // keys of another installation: its tokens would not verify
		} else if err != nil {
			return rep, fmt.Errorf("copy keys: %w", err)
		}
	}
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Scopes().Find(ctx, pg)
		for _, sc := range list {
			if err := to.Scopes().Put(ctx, &sc); err != nil {
				return 0, "", fmt.Errorf("copy scope %s: %w", sc.Name, err)
			}
		}
		rep.Scopes += len(list)
		return len(list), next, err
	})
	if err != nil {
		return rep, fmt.Errorf("copy scopes: %w", err)
	}
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Tenants().Find(ctx, pg)
		for _, t := range list {
			if err := to.Tenants().Insert(ctx, &t); err != nil {
				return 0, "", fmt.Errorf("copy tenant %s: %w", t.Slug, err)
			}
			if err := to.Tenants().CreateDatabase(ctx, t.ID); err != nil {
				return 0, "", fmt.Errorf("copy tenant %s: %w", t.Slug, err)
			}
			if err := copyTenant(ctx, from, to, t.ID, &rep); err != nil {
				return 0, "", fmt.Errorf("copy tenant %s: %w", t.Slug, err)
			}
			rep.Tenants++
		}
		return len(list), next, err
	})
	return rep, err
}

// copyTenant copies the records of tenant id.
func copyTenant(ctx context.Context, from, to store.Store, id string, rep *Report) error {
	err := pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Users().Find(ctx, id, users.Filter{}, pg)
		for _, u := range list {
			if err := to.Users().Insert(ctx, id, &u); err != nil {
				return 0, "", err
			}
		}
		rep.Users += len(list)
		return len(list), next, err
	})
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.AppTokens().Find(ctx, id, pg)
		for _, t := range list {
			if err := to.AppTokens().Insert(ctx, id, &t); err != nil {
				return 0, "", err
			}
		}
		rep.AppTokens += len(list)
		return len(list), next, err
	})
	if err != nil {
		return fmt.Errorf("app tokens: %w", err)
	}
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.UserTokens().Find(ctx, id, usertokens.Filter{}, time.Time{}, pg)
		for _, t := range list {
			if err := to.UserTokens().Insert(ctx, id, &t); err != nil {
				return 0, "", err
			}
		}
		rep.Tokens += len(list)
		return len(list), next, err
	})
	if err != nil {
		return fmt.Errorf("user tokens: %w", err)
	}
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Audit().Find(ctx, id, audit.Filter{}, pg)
		for _, r := range list {
			if err := to.Audit().Insert(ctx, id, &r); err != nil {
				return 0, "", err
			}
		}
		rep.Audit += len(list)
		return len(list), next, err
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	// After the audit records, whose inserts would otherwise queue their
	// deliveries again: the webhooks, then each one's deliveries as they
	// stand.
	err = pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Webhooks().Find(ctx, id, pg)
		for _, w := range list {
			if err := to.Webhooks().Insert(ctx, id, &w); err != nil {
				return 0, "", err
			}
			if err := copyDeliveries(ctx, from, to, id, w.ID, rep); err != nil {
				return 0, "", err
			}
		}
		rep.Webhooks += len(list)
		return len(list), next, err
	})
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	if err := copyUsage(ctx, from, to, id, rep); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	return nil
}

// copyUsage copies the tenant's usage buckets, each summed over the
// instances that wrote it, as the share of one new slot.
func copyUsage(ctx context.Context, from, to store.Store, id string, rep *Report) error {
	since, until := time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	tokens, err := from.Usage().Totals(ctx, id, since, until)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		hours, err := from.Usage().Hours(ctx, id, t.AppTokenID, since, until)
		if err != nil {
			return err
		}
		rows := make([]usage.Row, len(hours))
		for i, b := range hours {
			rows[i] = usage.Row{Slot: ids.New(), AppTokenID: t.AppTokenID, Start: b.Start, Delta: b.Counts, Total: b.Counts}
		}
		if err := to.Usage().Add(ctx, id, rows); err != nil {
			return err
		}
		rep.Usage += len(rows)
	}
	return nil
}

// copyDeliveries copies the deliveries of webhook w of tenant id.
func copyDeliveries(ctx context.Context, from, to store.Store, id string, w ids.ID, rep *Report) error {
	return pages(func(pg page.Page) (int, string, error) {
		list, next, err := from.Webhooks().Deliveries(ctx, id, w, pg)
		for _, d := range list {
			if err := to.Webhooks().InsertDelivery(ctx, id, &d); err != nil {
				return 0, "", err
			}
		}
		rep.Deliveries += len(list)
		return len(list), next, err
	})
}

// pages calls read with each page of a list, from the first to the last.
func pages(read func(page.Page) (n int, next string, err error)) error {
	pg := page.Page{Limit: page.MaxLimit}
	for {
		_, next, err := read(pg)
		if err != nil || next == "" {
			return err
		}
		pg.Cursor = next
	}
}
