package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
)

// A tenant file overwritten or emptied is a fault of that tenant alone:
// its operations are Unavailable with a Retry-After, the next ones at once
// without touching the file, Ping names it, another tenant is served, and
// once the file is back it serves again after the back-off. An empty file
// is not given new tables.
func TestTenantFileFault(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpenWith(t, dir, Options{MaxOpenTenants: 1, Timeout: 5 * time.Second})
	bad, good := mustTenant(t, db), mustTenant(t, db)
	now := clock.Stored(time.Now())
	tok := newAppToken(now)
	if err := db.AppTokens().Insert(ctx, bad.ID, tok); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, tenantsDir, bad.ID+".db")
	_, _ = db.AppTokens().FindByID(ctx, good.ID, tok.ID) // closes bad's file, folding its -wal in
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string][]byte{"not a database": []byte(strings.Repeat("garbage!", 1024)), "empty": {}} {
		_, _ = db.AppTokens().FindByID(ctx, good.ID, tok.ID) // closes bad's file: one open at a time
		if err := os.WriteFile(path, damage, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := db.AppTokens().FindByID(ctx, bad.ID, tok.ID)
		e, _ := errs.As(err)
		if !errs.Is(err, errs.Unavailable) || e.RetryAfter <= 0 {
			t.Fatalf("%s: got %v, want unavailable with a Retry-After", name, err)
		}
		var ff *fileFault
		if _, err := db.AppTokens().FindByID(ctx, bad.ID, tok.ID); !errors.As(err, &ff) {
			t.Errorf("%s, again: got %v, want the known fault at once", name, err)
		}
		err = db.Ping(ctx)
		if e, _ := errs.As(err); e == nil || e.Code != errs.Unavailable || !strings.Contains(e.Fields["tenants"], bad.ID+" ("+name+")") {
			t.Errorf("%s: Ping got %v %v, want unavailable naming %s (%s)", name, err, e.Fields, bad.ID, name)
		}
		if _, err := db.AppTokens().FindByID(ctx, good.ID, tok.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s: the other tenant got %v, want it served (not found)", name, err)
		}
		if got, _ := os.ReadFile(path); len(got) != len(damage) {
			t.Errorf("%s: the file changed from %d to %d bytes", name, len(damage), len(got))
		}
		if err := os.WriteFile(path, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, err := db.AppTokens().FindByID(ctx, bad.ID, tok.ID)
			if err == nil && db.Ping(ctx) == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: 40 s after the file was put back: %v", name, err)
			}
		}
	}
}

// The causes of faults by SQLite result code are exactly the file's; a
// busy file or an interrupted statement is not one.
func TestIsFileFault(t *testing.T) {
	for _, err := range []error{errFileMissing, errFileReplaced, errFileEmpty, errFileCorrupt} {
		if !isFileFault(err) {
			t.Errorf("isFileFault(%v) = false", err)
		}
	}
	for _, err := range []error{errNoTenant, context.DeadlineExceeded, errClosed, nil} {
		if isFileFault(err) {
			t.Errorf("isFileFault(%v) = true", err)
		}
	}
}
