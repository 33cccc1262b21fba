package sqlite

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/scopes"
)

// scopeStore is the scope catalog's store: a table of the control file.
type scopeStore struct{ db *DB }

func scanScope(sc scanner, s *scopes.Scope) error {
	return sc.Scan(&s.Name, &s.Description, timeCol{&s.Created}, timeCol{&s.Updated})
}

// Put implements scopes.Store: an upsert that keeps the first created.
func (s scopeStore) Put(ctx context.Context, sc *scopes.Scope) error {
	return s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		_, err := f.exec(keyed(ctx), qScopePut, sc.Name, sc.Description, sc.Created.UnixMilli(), sc.Updated.UnixMilli())
		return s.db.fail("put scope", err, nil)
	})
}

// FindByName implements scopes.Store.
func (s scopeStore) FindByName(ctx context.Context, name string) (*scopes.Scope, error) {
	var sc scopes.Scope
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		return scanScope(f.row(keyed(ctx), qScopeByName, name), &sc)
	})
	if err != nil {
		return nil, s.db.fail("find scope", err, scopes.ErrNotFound)
	}
	return &sc, nil
}

// Find implements scopes.Store.
func (s scopeStore) Find(ctx context.Context, pg page.Page) ([]scopes.Scope, string, error) {
	limit := pg.Size()
	q, args := qScopeFirst, []any{limit + 1}
	if pg.Cursor != "" {
		q, args = qScopeAfter, []any{pg.Cursor, limit + 1}
	}
	var list []scopes.Scope
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanScope)
		return err
	})
	if err != nil {
		return nil, "", s.db.fail("list scopes", err, nil)
	}
	list, next := pageOf(list, limit, func(sc *scopes.Scope) string { return sc.Name })
	return list, next, nil
}

// Delete implements scopes.Store.
func (s scopeStore) Delete(ctx context.Context, name string) error {
	var n int64
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) (err error) {
		n, err = f.exec(keyed(ctx), qScopeDelete, name)
		return err
	})
	return s.db.changed("delete scope", n, err, scopes.ErrNotFound)
}

// Held implements scopes.Store: one read of token_scopes' primary key.
func (s scopeStore) Held(ctx context.Context, tenantID, name string, now time.Time) (bool, error) {
	return s.db.existsIn(ctx, tenantID, "find scope holder", qScopeHeld, name, now.UnixMilli())
}
