package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/users"
)

// Provisioner gives a new tenant its database, first owner and first app
// token; it implements tenants.Provisioner.
type Provisioner struct {
	Tenants   *tenants.Service
	Users     *users.Service
	AppTokens *apptokens.Service
}

var _ tenants.Provisioner = (*Provisioner)(nil)

// CheckOwner implements tenants.Provisioner.
func (p *Provisioner) CheckOwner(o tenants.Owner) error {
	return users.New{Username: o.Username, Password: o.Password, Email: o.Email, Role: access.Owner}.Check("admin.")
}

// Provision implements tenants.Provisioner.
func (p *Provisioner) Provision(ctx context.Context, t *tenants.Tenant, o tenants.Owner) (tenants.Provisioned, error) {
	if err := p.Tenants.Store.CreateDatabase(ctx, t.ID); err != nil {
		return tenants.Provisioned{}, err
	}
	u, err := p.Users.Create(ctx, t.ID, users.New{Username: o.Username, Password: o.Password, Email: o.Email, Role: access.Owner}, nil)
	if err != nil {
		return tenants.Provisioned{}, err
	}
	_, plain, err := p.AppTokens.Create(ctx, t, apptokens.New{Name: "initial", CreatedBy: &u.ID})
	if err != nil {
		return tenants.Provisioned{}, err
	}
	return tenants.Provisioned{AdminID: u.ID.Hex(), AdminUsername: u.Username, AppToken: plain}, nil
}

// HasActiveOwner implements tenants.Provisioner.
func (p *Provisioner) HasActiveOwner(ctx context.Context, id string) (bool, error) {
	list, _, err := p.Users.List(ctx, id, users.Filter{Role: string(access.Owner), Status: users.Active}, page.Page{Limit: 1})
	return len(list) > 0, err
}

// Bootstrap is what initialising a store made: shown once.
type Bootstrap struct {
	Tenant   *tenants.Tenant `json:"tenant"`
	Admin    BootstrapAdmin  `json:"admin"`
	AppToken string          `json:"app_token"`
}

// BootstrapAdmin is the platform's first owner. Password is left out of
// its JSON when empty: latchkey init blanks a password the operator chose
// (LATCHKEY_ADMIN_PASSWORD) rather than print it back.
type BootstrapAdmin struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// ErrInitialised is returned by Initialize on a store that has a platform.
var ErrInitialised = errs.E(errs.Conflict, "store", "The store is already initialised.")

// Initialize makes the platform tenant, its owner "admin" with password, and
// its first app token. The platform's unique slug settles racing calls:
// exactly one succeeds, the others get ErrInitialised once the winner has
// finished.
func (a *App) Initialize(ctx context.Context, password string) (*Bootstrap, error) {
	if err := a.awaitPlatform(ctx); !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	t, prov, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: tenants.PlatformSlug, Name: "Platform", Platform: true},
		tenants.Owner{Username: "admin", Password: password, Email: "admin@latchkey.invalid"})
	if errs.Is(err, errs.Conflict) {
		return nil, a.awaitPlatform(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &Bootstrap{Tenant: t, Admin: BootstrapAdmin{ID: prov.AdminID, Username: prov.AdminUsername, Password: password}, AppToken: prov.AppToken}, nil
}

// initWait is how long a platform tenant may stay "creating": another
// process initialising the same store (instances started together) is given
// this long to finish; one older than that was left half-made.
const initWait = time.Minute

// awaitPlatform returns ErrInitialised when the store has a platform tenant,
// a NotFound error when it has none, and, while another process is still
// making the platform, waits for it (up to initWait of its age). A platform
// still "creating" after that is reported as half-made.
func (a *App) awaitPlatform(ctx context.Context) error {
	deadline := time.Now().Add(initWait)
	for {
		t, err := a.Tenants.Store.FindBySlug(ctx, tenants.PlatformSlug)
		switch {
		case err != nil:
			return err
		case t.Status != tenants.Creating:
			return ErrInitialised
		case a.Tenants.Now().Sub(t.Created) >= initWait || time.Now().After(deadline):
			return fmt.Errorf("the platform tenant %s was left half-made by an interrupted initialisation; remove the store's data and initialise again", t.ID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
