//go:build unix

package sqlite

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
)

// The hot lookups at two sizes of a tenant, to show that their cost does
// not grow with the data:
//
//	go test ./store/sqlite -run '^$' -bench . -benchmem
//
// Each size is filled once per run (100k rows take a few seconds) in a
// directory removed at the end. Besides the wall time per lookup (ns/op),
// each reports the process's CPU time per lookup (cpu-ns/op), which stays
// meaningful on a machine whose cores other work is using.

// benchSizes are the row counts compared.
var benchSizes = []int{1_000, 100_000}

// benchTenant is a filled tenant: its engine and the ids and usernames in it.
type benchTenant struct {
	db        *DB
	tenant    string
	tokens    []ids.ID
	usernames []string
}

var (
	benchMu      sync.Mutex
	benchTenants = map[int]*benchTenant{}
	benchDirs    []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bt := range benchTenants {
		_ = bt.db.Close()
	}
	for _, d := range benchDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

// filled returns a tenant holding n tokens and n users, filling it on
// first use.
func filled(b *testing.B, n int) *benchTenant {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if bt := benchTenants[n]; bt != nil {
		return bt
	}
	dir, err := os.MkdirTemp("", "latchkey-sqlite-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	db, err := Open(context.Background(), Options{DataDir: dir, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	bt := &benchTenant{db: db, tenant: mustTenant(b, db).ID}
	if err := bt.fill(n); err != nil {
		b.Fatal(err)
	}
	benchTenants[n] = bt
	return bt
}

// fill inserts n tokens and n users in transactions of 10k rows, through
// the engine's own insert statements.
func (bt *benchTenant) fill(n int) error {
	ctx := context.Background()
	h, err := bt.db.pool.acquire(ctx, bt.tenant)
	if err != nil {
		return err
	}
	defer bt.db.pool.release(h)
	now := clock.Stored(time.Now())
	hash := strings.Repeat("a", 64)
	pwd := "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("b", 22) + "$" + strings.Repeat("c", 43)
	for start := 0; start < n; start += 10_000 {
		tx, err := h.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := start; i < min(start+10_000, n); i++ {
			id, user, app := ids.NewAt(now), ids.NewAt(now), ids.NewAt(now)
			re := now.Add(time.Hour).UnixMilli()
			if _, err := tx.ExecContext(ctx, qTokenInsert, idArg(id), hash, hash, re, "login", idArg(user), nil,
				idArg(app), idArg(id), nil, "", now.UnixMilli(), now.Add(time.Hour).UnixMilli(), nil, 3600, "", nil, "", nil); err != nil {
				_ = tx.Rollback()
				return err
			}
			name := fmt.Sprintf("user%07d", i)
			if _, err := tx.ExecContext(ctx, qUserInsert, idArg(user), name, name, name+"@example.com",
				name+"@example.com", "member", "active", pwd, now.UnixMilli(), now.UnixMilli()); err != nil {
				_ = tx.Rollback()
				return err
			}
			bt.tokens = append(bt.tokens, id)
			bt.usernames = append(bt.usernames, name)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// pick spreads lookups over the whole table: the i-th lookup reads row
// i*7919 mod n (7919 is prime, so every row is read in turn).
func pick(i, n int) int { return i * 7919 % n }

func BenchmarkTokenFindByID(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			bt := filled(b, n)
			ctx := context.Background()
			defer cpuPerOp(b)()
			for i := 0; b.Loop(); i++ {
				if _, err := bt.db.UserTokens().FindByID(ctx, bt.tenant, bt.tokens[pick(i, n)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUserFindByUsername(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			bt := filled(b, n)
			ctx := context.Background()
			defer cpuPerOp(b)()
			for i := 0; b.Loop(); i++ {
				if _, err := bt.db.Users().FindByUsername(ctx, bt.tenant, bt.usernames[pick(i, n)]); err != nil {
					b.Fatal(err)
				}
			}
		})
		// An unknown username costs a lookup that finds nothing.
		b.Run(fmt.Sprintf("users=%d/unknown", n), func(b *testing.B) {
			bt := filled(b, n)
			ctx := context.Background()
			defer cpuPerOp(b)()
			for i := 0; b.Loop(); i++ {
				if _, err := bt.db.Users().FindByUsername(ctx, bt.tenant, fmt.Sprintf("nobody%d", i)); err == nil {
					b.Fatal("found an unknown user")
				}
			}
		})
	}
}

// cpuPerOp starts measuring the process's CPU time (user and system, every
// thread); the function it returns reports it per iteration as
// cpu-ns/op.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime(b)
	return func() {
		b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
