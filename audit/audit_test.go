package audit_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/testserver"
)

// flaky refuses the first n inserts as unavailable (a store busy under a
// login flood), then passes them to the real store.
type flaky struct {
	audit.Store
	n int
}

func (f *flaky) Insert(ctx context.Context, tenantID string, r *audit.Record) error {
	if f.n > 0 {
		f.n--
		return errs.E(errs.Unavailable, "store", "The store is unavailable. Try again shortly.")
	}
	return f.Store.Insert(ctx, tenantID, r)
}

// A record the store refuses as unavailable is written on a later try, not
// lost; one it keeps refusing is logged.
func TestWriteRetriesUnavailable(t *testing.T) {
	s := testserver.Start(t)
	core, logs := observer.New(zap.ErrorLevel)
	for _, c := range []struct {
		refusals int
		kept     bool
	}{{3, true}, {10, false}} {
		log := &audit.Log{Store: &flaky{Store: s.Store.Audit(), n: c.refusals}, Logger: zap.New(core), Now: time.Now}
		before, _, _ := s.Store.Audit().Find(context.Background(), s.TenantID, audit.Filter{Action: "login"}, page.Page{Limit: 100})
		log.Write(context.Background(), s.TenantID, audit.Record{Action: "login", Outcome: audit.Failure})
		after, _, err := s.Store.Audit().Find(context.Background(), s.TenantID, audit.Filter{Action: "login"}, page.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if kept := len(after) == len(before)+1; kept != c.kept {
			t.Errorf("%d refusals: record kept %v, want %v", c.refusals, kept, c.kept)
		}
	}
	if n := logs.FilterMessage("audit write failed").Len(); n != 1 {
		t.Errorf("got %d error lines, want 1 (for the record the store kept refusing)", n)
	}
}
