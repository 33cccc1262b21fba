package admin

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// FinishHalfMade finishes or removes every tenant that a crash during
// POST /tenants left "creating", and logs
// each. One whose first owner and first app token were both made is made
// active: its creator never saw the app token, so a platform owner mints
// another (POST /tenants/{id}/app_tokens). Any other is removed with its
// database, which frees its slug for the creator's retry. serve calls it at
// start.
//
// A tenant "creating" for less than initWait may still be in the making by
// another instance (tenant creation takes milliseconds); it is looked at
// again once it is that old, in the background until Close. The platform
// tenant is Initialize's, which refuses to start on a half-made one
// (awaitPlatform). Errors: the listing's; a tenant that cannot be finished
// or removed is logged and tried again later.
func (a *App) FinishHalfMade(ctx context.Context) error {
	wait, err := a.finishHalfMade(ctx)
	if err != nil || wait == 0 {
		return err
	}
	a.jobs.Go(func(ctx context.Context) {
		for wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if wait, err = a.finishHalfMade(ctx); err != nil {
				a.log.Warn("half-made tenants: listing the tenants failed; trying again", zap.Error(err))
				wait = initWait
			}
		}
	})
	return nil
}

// finishHalfMade finishes or removes the tenants left "creating" for
// initWait or longer, and returns how long until the youngest other one is
// that old (0: none is left).
func (a *App) finishHalfMade(ctx context.Context) (time.Duration, error) {
	var wait time.Duration
	later := func(d time.Duration) {
		if wait == 0 || d < wait {
			wait = d
		}
	}
	pg := page.Page{Limit: page.MaxLimit}
	for {
		list, next, err := a.Tenants.List(ctx, pg)
		if err != nil {
			return 0, err
		}
		for i := range list {
			t := &list[i]
			if t.Status != tenants.Creating || t.Platform {
				continue
			}
			if age := a.Tenants.Now().Sub(t.Created); age < initWait {
				later(initWait - age + time.Second)
				continue
			}
			if err := a.finishTenant(ctx, t); err != nil {
				a.log.Warn("half-made tenant: neither finished nor removed; trying again", zap.String("tenant", t.ID),
					zap.String("slug", t.Slug), zap.Error(err))
				later(initWait)
			}
		}
		if next == "" {
			return wait, nil
		}
		pg.Cursor = next
	}
}

// finishTenant makes the half-made tenant t active when its owner and first
// app token were made, and removes it otherwise.
func (a *App) finishTenant(ctx context.Context, t *tenants.Tenant) error {
	// A crash before the database was made leaves none: make it (again;
	// it changes nothing when it is there) so what it holds can be read.
	if err := a.Tenants.Store.CreateDatabase(ctx, t.ID); err != nil {
		return err
	}
	owned, err := a.Tenants.Provisioner.HasActiveOwner(ctx, t.ID)
	if err != nil {
		return err
	}
	live, err := a.hasLiveAppToken(ctx, t.ID)
	if err != nil {
		return err
	}
	fields := []zap.Field{zap.String("tenant", t.ID), zap.String("slug", t.Slug), zap.Time("created", t.Created),
		zap.Bool("owner", owned), zap.Bool("app_token", live)}
	if owned && live {
		t.Status, t.Updated = tenants.Active, a.Tenants.Now()
		if err := a.Tenants.Store.Replace(ctx, t); err != nil {
			return err
		}
		a.log.Warn("half-made tenant finished: its owner and first app token were made before a crash; "+
			"it is active now (a platform owner mints it an app token: the first one was never shown)", fields...)
		return nil
	}
	if err := a.Tenants.Store.Delete(ctx, t.ID); err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	a.log.Warn("half-made tenant removed: a crash interrupted its creation before its owner and first app "+
		"token were made; its slug is free again", fields...)
	return nil
}

// hasLiveAppToken reports whether tenant id has an app token that has not
// expired. A new tenant has one; the first page is enough to find it.
func (a *App) hasLiveAppToken(ctx context.Context, id string) (bool, error) {
	list, _, err := a.AppTokens.Store.Find(ctx, id, page.Page{Limit: page.MaxLimit})
	if err != nil {
		return false, err
	}
	now := a.Tenants.Now()
	for _, tok := range list {
		if tok.Expires.After(now) {
			return true, nil
		}
	}
	return false, nil
}
