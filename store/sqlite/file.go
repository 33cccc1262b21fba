package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// file is one open SQLite file with its prepared statements.
type file struct {
	db   *sql.DB
	path string

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// stmt returns q prepared on f, preparing it once.
func (f *file) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	f.mu.Lock()
	s := f.stmts[q]
	f.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := f.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if prev := f.stmts[q]; prev != nil {
		_ = s.Close()
		return prev, nil
	}
	if f.stmts == nil {
		f.stmts = map[string]*sql.Stmt{}
	}
	f.stmts[q] = s
	return s, nil
}

// row runs q and returns its first row to scan: sql.ErrNoRows when there
// is none.
func (f *file) row(ctx context.Context, q string, args ...any) scanner {
	s, err := f.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

// errRow is a row whose query failed.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// exec runs q and returns how many rows it changed.
func (f *file) exec(ctx context.Context, q string, args ...any) (int64, error) {
	s, err := f.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	res, err := s.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs q.
func (f *file) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := f.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (f *file) close() error {
	f.mu.Lock()
	for _, s := range f.stmts {
		_ = s.Close()
	}
	f.stmts = nil
	f.mu.Unlock()
	return f.db.Close()
}
