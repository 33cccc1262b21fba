package sqlite

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// poolIDs returns the tenants whose files the pool holds, sorted.
func poolIDs(p *pool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var list []string
	for id := range p.files {
		list = append(list, id)
	}
	slices.Sort(list)
	return list
}

// use acquires tenant id's file, runs a statement on it and releases it.
func use(tb testing.TB, db *DB, id string) {
	tb.Helper()
	h, err := db.pool.acquire(context.Background(), id)
	if err != nil {
		tb.Fatalf("acquire %s: %v", id, err)
	}
	defer db.pool.release(h)
	var v int
	if err := h.row(context.Background(), qVersion).Scan(&v); err != nil {
		tb.Fatalf("use %s: %v", id, err)
	}
}

func tenantIDs(tb testing.TB, db *DB, n int) []string {
	list := make([]string, n)
	for i := range list {
		list[i] = mustTenant(tb, db).ID
	}
	return list
}

// The pool closes the least recently used idle file beyond its limit.
func TestPoolClosesLeastRecentlyUsed(t *testing.T) {
	db := mustOpenWith(t, t.TempDir(), Options{MaxOpenTenants: 2})
	id := tenantIDs(t, db, 3)
	sorted := func(s ...string) []string { slices.Sort(s); return s }

	use(t, db, id[0])
	use(t, db, id[1])
	use(t, db, id[2])
	if got, want := poolIDs(db.pool), sorted(id[1], id[2]); !slices.Equal(got, want) {
		t.Fatalf("after using 0, 1, 2: pool holds %v, want %v", got, want)
	}
	use(t, db, id[1]) // 2 is now the least recently used
	use(t, db, id[0])
	if got, want := poolIDs(db.pool), sorted(id[0], id[1]); !slices.Equal(got, want) {
		t.Fatalf("after using 1, then 0: pool holds %v, want %v", got, want)
	}
}

// A file in use is never closed: with every file busy the pool goes over
// its limit, and shrinks back once they are released.
func TestPoolNeverClosesAFileInUse(t *testing.T) {
	ctx := context.Background()
	db := mustOpenWith(t, t.TempDir(), Options{MaxOpenTenants: 2})
	id := tenantIDs(t, db, 4)
	var held []*handle
	for _, tid := range id {
		h, err := db.pool.acquire(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, h)
	}
	if n := db.pool.size(); n != 4 {
		t.Fatalf("4 files in use with a limit of 2: pool holds %d, want 4", n)
	}
	for i, h := range held {
		var v int
		if err := h.row(ctx, qVersion).Scan(&v); err != nil {
			t.Fatalf("file %d in use after others opened: %v", i, err)
		}
		db.pool.release(h)
	}
	if n := db.pool.size(); n != 2 {
		t.Fatalf("after releasing all: pool holds %d, want 2", n)
	}
	if got, want := poolIDs(db.pool), []string{id[2], id[3]}; !slices.Equal(got, sortedCopy(want)) {
		t.Fatalf("pool keeps %v, want the last released %v", got, want)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Many goroutines over more tenants than the limit: no statement ever
// meets a closed file, and the pool ends within its limit.
func TestPoolUnderConcurrency(t *testing.T) {
	db := mustOpenWith(t, t.TempDir(), Options{MaxOpenTenants: 2})
	id := tenantIDs(t, db, 5)
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				tid := id[(g+i)%len(id)]
				h, err := db.pool.acquire(context.Background(), tid)
				if err != nil {
					errc <- err
					return
				}
				var v int
				err = h.row(context.Background(), qVersion).Scan(&v)
				db.pool.release(h)
				if err != nil {
					errc <- fmt.Errorf("tenant %s: %w", tid, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := db.pool.size(); n > 2 {
		t.Errorf("pool holds %d files once idle, want at most 2", n)
	}
}

// Deleting a tenant whose file is in use lets the user finish, and closes
// the file at its release.
func TestPoolDeleteWhileInUse(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tid := mustTenant(t, db).ID
	h, err := db.pool.acquire(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tenants().Delete(ctx, tid); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := h.row(ctx, qVersion).Scan(&v); err != nil {
		t.Fatalf("file in use during its tenant's deletion: %v", err)
	}
	if _, err := db.pool.acquire(ctx, tid); err != errNoTenant {
		t.Fatalf("acquire a deleted tenant: got %v, want errNoTenant", err)
	}
	db.pool.release(h)
	if err := h.db.Ping(); err == nil {
		t.Fatal("a deleted tenant's file is still open after its last release")
	}
}
