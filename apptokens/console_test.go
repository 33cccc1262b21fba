package apptokens_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/testserver"
)

// lateStore answers its first FindByID of the console app token as not
// found, as a sign-in sees it when another one inserts the token between
// its read and its insert.
type lateStore struct {
	apptokens.Store
	missed bool
}

func (l *lateStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*apptokens.Token, error) {
	if !l.missed && id == access.ConsoleApp {
		l.missed = true
		return nil, apptokens.ErrNotFound
	}
	return l.Store.FindByID(ctx, tenantID, id)
}

// TestConsoleLosesTheFirstUseRace: a first sign-in whose insert of the
// console app token loses to another (Conflict on the id) reads the
// winner's token instead of failing, and the tenant keeps one.
func TestConsoleLosesTheFirstUseRace(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	tn, err := s.App.Tenants.FindByID(ctx, s.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	won, err := s.App.AppTokens.Console(ctx, tn)
	if err != nil {
		t.Fatalf("first Console: %v", err)
	}
	late := *s.App.AppTokens
	late.Store = &lateStore{Store: s.App.AppTokens.Store}
	lost, err := late.Console(ctx, tn)
	if err != nil {
		t.Fatalf("the losing Console: got %v, want the winner's token", err)
	}
	if !late.Store.(*lateStore).missed || lost.ID != won.ID || lost.Hash != won.Hash {
		t.Errorf("the losing Console: got %+v, want the winner's token %+v", lost, won)
	}
	if n := s.Count(t, s.TenantID, "app_tokens"); n != 2 {
		t.Errorf("app tokens: got %d, want 2", n)
	}
}
