package sqlite_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/store"

	"github.com/latchkey/latchkey/store/sqlite"
	"github.com/latchkey/latchkey/store/storetest"
)

// The behavioural suite every engine passes, on SQLite files in a
// temporary directory.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store {
		db, err := sqlite.Open(context.Background(), sqlite.Options{DataDir: tb.TempDir()})
		if err != nil {
			tb.Fatalf("open: %v", err)
		}
		tb.Cleanup(func() { _ = db.Close() })
		return db
	})
}
