package tenants

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// Owner is the first owner of a new tenant.
type Owner struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

// Provisioned is what a new tenant starts with.
type Provisioned struct {
	AdminID       string
	AdminUsername string
	AppToken      string // the secret, shown once
}

// Provisioner makes a new tenant's database, first owner and first app token;
// admin implements it, since users and app tokens are not this package's.
type Provisioner interface {
	// CheckOwner validates the owner fields, returning every field error at
	// once with names prefixed "admin.".
	CheckOwner(o Owner) error
	// Provision creates the database, the owner and the first app token.
	Provision(ctx context.Context, t *Tenant, o Owner) (Provisioned, error)
	// HasActiveOwner reports whether tenant id has an active owner.
	// Errors: Unavailable.
	HasActiveOwner(ctx context.Context, id string) (bool, error)
}

// ErrNoOwner refuses to make active a tenant without an active owner.
var ErrNoOwner = errs.E(errs.Conflict, "status", "The tenant has no active owner. A platform owner restores "+
	"one first (POST /tenants/{id}/owners).")

// Service manages tenants.
type Service struct {
	Store       Store
	Provisioner Provisioner
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
}

// NewTenant is the input of Create.
type NewTenant struct {
	Slug     string
	Name     string
	Settings *SettingsPatch
	Platform bool
}

// Create makes a tenant, its database and what Provisioner gives it. The
// tenant is inserted as "creating" first, so the unique slug settles races
// and a crash part-way leaves a tenant that authenticates nothing and can be
// deleted. Errors: Invalid, Conflict (slug taken), Unavailable.
func (s *Service) Create(ctx context.Context, in NewTenant, owner Owner) (*Tenant, Provisioned, error) {
	bad := map[string]string{}
	if !ValidSlug(in.Slug) {
		bad["slug"] = "Must be 2 to 39 characters: a lowercase letter, then lowercase letters, digits or hyphens."
	}
	if in.Name == "" || len(in.Name) > 200 {
		bad["name"] = "Must be 1 to 200 characters."
	}
	settings, err := in.Settings.Apply(DefaultSettings())
	if e, ok := errs.As(err); ok {
		for k, v := range e.Fields {
			bad[k] = v
		}
	}
	if e, ok := errs.As(s.Provisioner.CheckOwner(owner)); ok {
		for k, v := range e.Fields {
			bad[k] = v
		}
	}
	if err := errs.Fields(bad); err != nil {
		return nil, Provisioned{}, err
	}
	now := clock.Stored(s.Now())
	t := &Tenant{ID: secret.NewTenantID(), Slug: in.Slug, Name: in.Name, Status: Creating,
		Platform: in.Platform, Settings: settings, Created: now, Updated: now}
	if err := s.Store.Insert(ctx, t); err != nil {
		return nil, Provisioned{}, err
	}
	prov, err := s.Provisioner.Provision(ctx, t, owner)
	if err != nil {
		return nil, Provisioned{}, err
	}
	t.Status = Active
	if err := s.Store.Replace(ctx, t); err != nil {
		return nil, Provisioned{}, err
	}
	return t, prov, nil
}

// FindByID returns the tenant with id. Errors: NotFound, Unavailable.
func (s *Service) FindByID(ctx context.Context, id string) (*Tenant, error) {
	if !secret.ValidTenantID(id) {
		return nil, ErrNotFound
	}
	return s.Store.FindByID(ctx, id)
}

// Find returns the tenant with the id or slug ref. Errors: NotFound.
func (s *Service) Find(ctx context.Context, ref string) (*Tenant, error) {
	t, err := s.FindByID(ctx, ref)
	if errs.Is(err, errs.NotFound) && ValidSlug(ref) {
		return s.Store.FindBySlug(ctx, ref)
	}
	return t, err
}

// List returns a page of tenants ordered by slug.
func (s *Service) List(ctx context.Context, pg page.Page) ([]Tenant, string, error) {
	return s.Store.Find(ctx, pg)
}

// Patch changes a tenant; nil fields stay.
type Patch struct {
	Name     *string        `json:"name"`
	Status   *string        `json:"status"`
	Settings *SettingsPatch `json:"settings"`
}

// Update applies p to the tenant ref. Disabling a tenant stops every token of
// it at once (on this instance; on others within the cache TTL). The platform
// tenant cannot be disabled, and a tenant without an active owner cannot be
// made active (ErrNoOwner). Errors: Invalid, NotFound, Conflict.
func (s *Service) Update(ctx context.Context, ref string, p Patch) (*Tenant, error) {
	t, err := s.Find(ctx, ref)
	if err != nil {
		return nil, err
	}
	bad := map[string]string{}
	if p.Name != nil {
		if *p.Name == "" || len(*p.Name) > 200 {
			bad["name"] = "Must be 1 to 200 characters."
		}
		t.Name = *p.Name
	}
	if p.Status != nil {
		switch {
		case *p.Status != Active && *p.Status != Disabled:
			bad["status"] = "Must be one of: active, disabled."
		case t.Platform && *p.Status == Disabled:
			return nil, errs.E(errs.Conflict, "status", "The platform tenant cannot be disabled.")
		}
		t.Status = *p.Status
	}
	settings, err := p.Settings.Apply(t.Settings)
	if e, ok := errs.As(err); ok {
		for k, v := range e.Fields {
			bad[k] = v
		}
	}
	if err := errs.Fields(bad); err != nil {
		return nil, err
	}
	if p.Status != nil && *p.Status == Active {
		owned, err := s.Provisioner.HasActiveOwner(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		if !owned {
			return nil, ErrNoOwner
		}
	}
	t.Settings = settings
	t.Updated = clock.Stored(s.Now())
	if err := s.Store.Replace(ctx, t); err != nil {
		return nil, err
	}
	s.Invalidate(t.ID)
	return t, nil
}

// Delete drops the tenant ref's database and record; confirm must be its
// slug. The platform tenant cannot be deleted. Errors: Invalid, NotFound,
// Conflict.
func (s *Service) Delete(ctx context.Context, ref, confirm string) error {
	t, err := s.Find(ctx, ref)
	if err != nil {
		return err
	}
	if confirm != t.Slug {
		return errs.E(errs.Invalid, "confirm", "Must be the tenant's slug, to confirm the deletion.")
	}
	if t.Platform {
		return errs.E(errs.Conflict, "tenant", "The platform tenant cannot be deleted.")
	}
	if err := s.Store.Delete(ctx, t.ID); err != nil {
		return err
	}
	s.Invalidate(t.ID)
	return nil
}
