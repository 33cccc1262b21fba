package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// Insert implements tenants.Store.
func (s tenantStore) Insert(ctx context.Context, t *tenants.Tenant) error {
	_, err := s.exec(ctx, qTenantInsert, append([]any{t.ID, t.Slug}, tenantValues(t)...)...)
	if isUnique(err) {
		return tenants.ErrSlugTaken
	}
	return s.db.fail("insert tenant", err, nil)
}

// tenantValues are t's columns after id and slug, in tenantCols order.
func tenantValues(t *tenants.Tenant) []any {
	st := t.Settings
	return []any{t.Name, t.Status, t.Platform, st.AppTokenTTL, st.UserTokenTTL, st.LongTokenTTL,
		st.OBOTokenTTL, st.RefreshTokenTTL, st.MaxTokenTTL, st.AllowSignup, st.LockoutAttempts,
		st.LockoutWindow, st.LockoutDuration, t.Created.UnixMilli(), t.Updated.UnixMilli(),
		policyLimit(st.AppTokenRateLimit), policySeconds(st.AppTokenRateLimit)}
}

func scanTenant(sc scanner, t *tenants.Tenant) error {
	st := &t.Settings
	var rl policyCols
	err := sc.Scan(&t.ID, &t.Slug, &t.Name, &t.Status, &t.Platform, &st.AppTokenTTL, &st.UserTokenTTL,
		&st.LongTokenTTL, &st.OBOTokenTTL, &st.RefreshTokenTTL, &st.MaxTokenTTL, &st.AllowSignup,
		&st.LockoutAttempts, &st.LockoutWindow, &st.LockoutDuration, timeCol{&t.Created}, timeCol{&t.Updated},
		&rl.limit, &rl.seconds)
	st.AppTokenRateLimit = rl.policy()
	return err
}

// FindByID implements tenants.Store.
func (s tenantStore) FindByID(ctx context.Context, id string) (*tenants.Tenant, error) {
	return s.findOne(ctx, qTenantByID, id)
}

// FindBySlug implements tenants.Store.
func (s tenantStore) FindBySlug(ctx context.Context, slug string) (*tenants.Tenant, error) {
	return s.findOne(ctx, qTenantBySlug, slug)
}

func (s tenantStore) findOne(ctx context.Context, q, key string) (*tenants.Tenant, error) {
	var t tenants.Tenant
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		return scanTenant(f.row(keyed(ctx), q, key), &t)
	})
	if err != nil {
		return nil, s.db.fail("find tenant", err, tenants.ErrNotFound)
	}
	return &t, nil
}

// Find implements tenants.Store.
func (s tenantStore) Find(ctx context.Context, pg page.Page) ([]tenants.Tenant, string, error) {
	limit := pg.Size()
	q, args := qTenantFirst, []any{limit + 1}
	if pg.Cursor != "" {
		if !tenants.ValidSlug(pg.Cursor) { // tenant cursors are slugs
			return nil, "", page.BadCursor
		}
		q, args = qTenantAfter, []any{pg.Cursor, limit + 1}
	}
	var list []tenants.Tenant
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanTenant)
		return err
	})
	if err != nil {
		return nil, "", s.db.fail("list tenants", err, nil)
	}
	list, next := pageOf(list, limit, func(t *tenants.Tenant) string { return t.Slug })
	return list, next, nil
}

// Replace implements tenants.Store.
func (s tenantStore) Replace(ctx context.Context, t *tenants.Tenant) error {
	n, err := s.exec(ctx, qTenantReplace, append(append([]any{t.Slug}, tenantValues(t)...), t.ID)...)
	return s.db.changed("replace tenant", n, err, tenants.ErrNotFound)
}

// CreateDatabase implements tenants.Store: it makes the tenant's file with
// its tables and indexes (mode rwc, the only place a tenant file is made).
func (s tenantStore) CreateDatabase(ctx context.Context, id string) error {
	path := s.db.tenantPath(id)
	if path == "" {
		return fmt.Errorf("sqlite: tenant id %q cannot name a file", id)
	}
	if s.db.closed.Load() {
		return s.db.fail("create tenant file", errClosed, nil)
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	return s.db.create(ctx, path, tenantSchema)
}

// Delete implements tenants.Store: it removes the tenant's file, then its
// record. Handles of the file that are in use finish on the removed file;
// none is opened meanwhile, and other processes notice within a second.
func (s tenantStore) Delete(ctx context.Context, id string) error {
	if path := s.db.tenantPath(id); path != "" {
		err := s.db.pool.deleteFiles(id, func() error {
			var errList []error
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					errList = append(errList, err)
				}
			}
			return errors.Join(errList...)
		})
		if err != nil {
			return s.db.fail("remove tenant file", err, nil)
		}
		s.db.faults.clear(id) // its file is gone on purpose
	}
	n, err := s.exec(ctx, qTenantDelete, id)
	return s.db.changed("delete tenant", n, err, tenants.ErrNotFound)
}

// exec runs q in the control file and returns how many rows it changed.
func (s tenantStore) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(keyed(ctx), q, args...)
		return err
	})
	return n, err
}
