// Package storetest is the behavioural suite every storage engine passes:
// each domain's store contract (CRUD, filters, pagination, tenant isolation,
// purges, last_used flushes) and the races the store decides,
// driven through the real services where a rule spans several calls. The
// engines' own tests run it: store/sqlite always, store/mongo over
// FerretDB and, when LATCHKEY_TEST_MONGODB_URI is set, a real MongoDB.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/store"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/tenants"
)

// Opener returns a new, empty store, closed when the test ends.
type Opener func(tb testing.TB) store.Store

// Run runs the whole suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Run("Tenants", func(t *testing.T) { testTenants(t, open) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("AppTokens", func(t *testing.T) { testAppTokens(t, open) })
	t.Run("RotateAppTokens", func(t *testing.T) { testRotateAppTokens(t, open) })
	t.Run("RaceRotate", func(t *testing.T) { testRaceRotate(t, open) })
	t.Run("RotateUserTokens", func(t *testing.T) { testRotateUserTokens(t, open) })
	t.Run("UserTokens", func(t *testing.T) { testUserTokens(t, open) })
	t.Run("Expire", func(t *testing.T) { testExpire(t, open) })
	t.Run("Claims", func(t *testing.T) { testClaims(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("LastUsed", func(t *testing.T) { testLastUsed(t, open) })
	t.Run("Usage", func(t *testing.T) { testUsage(t, open) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, open) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open) })
	t.Run("RaceRefresh", func(t *testing.T) { testRaceRefresh(t, open) })
	t.Run("RaceLockout", func(t *testing.T) { testRaceLockout(t, open) })
	t.Run("RaceUsername", func(t *testing.T) { testRaceUsername(t, open) })
	t.Run("RaceSlug", func(t *testing.T) { testRaceSlug(t, open) })
	t.Run("ExpiredIsFinal", func(t *testing.T) { testExpiredIsFinal(t, open) })
	t.Run("RaceLastAppToken", func(t *testing.T) { testRaceLastAppToken(t, open) })
	t.Run("Owners", func(t *testing.T) { testOwners(t, open) })
	t.Run("RaceLastOwner", func(t *testing.T) { testRaceLastOwner(t, open) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("RateLimits", func(t *testing.T) { testRateLimits(t, open) })
	t.Run("WebhookOutbox", func(t *testing.T) { testWebhookOutbox(t, open) })
	t.Run("RaceDeliveryClaim", func(t *testing.T) { testRaceDeliveryClaim(t, open) })
}

// env is one store with the services wired over it, a clock the test moves,
// and one tenant made through the services.
type env struct {
	st     store.Store
	app    *admin.App
	clock  *testserver.Clock
	tenant *tenants.Tenant
	ctx    context.Context
}

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func newEnv(t *testing.T, open Opener) *env {
	t.Helper()
	st := open(t)
	c := testserver.NewClock(t0)
	app, err := admin.New(admin.Options{Store: st, Keys: secret.NewRandomKeyring(), Logger: zap.NewNop(), Password: testserver.FastArgon2, Now: c.Now, WebhookInterval: -1})
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	t.Cleanup(app.Close)
	e := &env{st: st, app: app, clock: c, ctx: context.Background()}
	e.tenant = e.newTenant(t, "acme")
	return e
}

// newTenant makes a tenant with its database, owner "boss" and first app
// token, through the tenants service.
func (e *env) newTenant(t *testing.T, slug string) *tenants.Tenant {
	t.Helper()
	tn, _, err := e.app.Tenants.Create(e.ctx, tenants.NewTenant{Slug: slug, Name: "Tenant " + slug},
		tenants.Owner{Username: "boss", Password: "boss-password", Email: "boss@example.test"})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// now is the clock at the stores' precision.
func (e *env) now() time.Time { return clock.Stored(e.clock.Now()) }

// wantCode fails unless err carries code.
func wantCode(t *testing.T, what string, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Errorf("%s: got error %v, want code %s", what, err, code)
	}
}

// wantErr fails unless err is exactly want (code and fields).
func wantErr(t *testing.T, what string, err error, want *errs.Error) {
	t.Helper()
	got, ok := errs.As(err)
	if !ok || got.Code != want.Code || len(got.Fields) != len(want.Fields) {
		t.Errorf("%s: got %v, want %v", what, err, want)
		return
	}
	for k, v := range want.Fields {
		if got.Fields[k] != v {
			t.Errorf("%s: got %v, want %v", what, err, want)
		}
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

// idsOf returns the hex ids of items.
func idsOf[T any](items []T, id func(*T) ids.ID) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = id(&items[i]).Hex()
	}
	return out
}

// end is the change that ends a token at at, for the reason by.
func end(at time.Time, by ended.By) ended.Change { return ended.Change{Expires: at, Now: at, By: by} }

// redate is the change that re-dates a token to expires, made at now.
func redate(expires, now time.Time) ended.Change { return ended.Change{Expires: expires, Now: now} }
