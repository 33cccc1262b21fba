package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

// The environment of the child process of TestTwoProcessesShareADirectory.
const (
	childDirEnv    = "LATCHKEY_SQLITE_CHILD_DIR"
	childTenantEnv = "LATCHKEY_SQLITE_CHILD_TENANT"
)

// processClaims is how many claims both processes race for, and how many
// tokens each inserts.
const processClaims = 100

// Two processes on one data directory (as two serve processes) write to one
// tenant file at the same time: SQLite's file locks and the busy timeout
// let every write through, and each contested claim goes to exactly one of
// them.
func TestTwoProcessesShareADirectory(t *testing.T) {
	if os.Getenv(childDirEnv) != "" {
		t.Skip("the child's half runs in TestProcessChild")
	}
	dir := t.TempDir()
	db := mustOpen(t, dir)
	tn := mustTenant(t, db).ID

	cmd := exec.Command(os.Args[0], "-test.run=^TestProcessChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childTenantEnv+"="+tn)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Start together: wait for the child to be ready, then let both go.
	waitFor(t, filepath.Join(dir, "ready"))
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	won, err := raceClaims(db, tn)
	if err != nil {
		t.Errorf("parent: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	child, err := os.ReadFile(filepath.Join(dir, "won"))
	if err != nil {
		t.Fatal(err)
	}
	childWon, _ := strconv.Atoi(string(child))
	if won+childWon != processClaims {
		t.Errorf("claims won: parent %d + child %d, want %d in all", won, childWon, processClaims)
	}
	list, _, err := db.UserTokens().Find(context.Background(), tn, usertokens.Filter{}, time.Now(), page.Page{Limit: 3 * processClaims})
	if err != nil || len(list) != 2*processClaims {
		t.Errorf("tokens written by both: %d, %v; want %d", len(list), err, 2*processClaims)
	}
	t.Logf("parent won %d claims, child %d", won, childWon)
}

// TestProcessChild is the child process's half of
// TestTwoProcessesShareADirectory; it does nothing on its own.
func TestProcessChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("runs as TestTwoProcessesShareADirectory's child")
	}
	db := mustOpen(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, "go"))
	won, err := raceClaims(db, os.Getenv(childTenantEnv))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "won"), []byte(strconv.Itoa(won)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// raceClaims inserts processClaims claims with the ids the other process
// inserts too, and as many tokens of its own, and returns how many claims
// it won.
func raceClaims(db *DB, tenantID string) (int, error) {
	ctx := context.Background()
	now := clock.Stored(time.Now())
	won := 0
	for i := range processClaims {
		err := db.Claims().InsertClaim(ctx, tenantID, usertokens.Claim{ID: fmt.Sprintf("slot|%d", i), Expires: now})
		switch {
		case err == nil:
			won++
		case !errs.Is(err, errs.Conflict):
			return won, fmt.Errorf("claim %d: %w", i, err)
		}
		tok := &usertokens.Token{ID: ids.New(), Hash: "h", Kind: "personal", UserID: ids.New(), AppTokenID: ids.New(),
			Created: now, Expires: now.Add(time.Hour)}
		if err := db.UserTokens().Insert(ctx, tenantID, tok); err != nil {
			return won, fmt.Errorf("token %d: %w", i, err)
		}
	}
	return won, nil
}

// waitFor waits until the file at path exists.
func waitFor(tb testing.TB, path string) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := os.Stat(path)
		if err == nil {
			return
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", filepath.Base(path), err)
		}
		time.Sleep(time.Millisecond)
	}
}
