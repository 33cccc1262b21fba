package scopes

import (
	"context"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// Service manages the catalog.
type Service struct {
	Store   Store
	Tenants *tenants.Service
	// TTL is how long a read of the whole catalog (Catalog) is kept
	// (cache.ttl): another instance's change is seen within it; this
	// instance's at once. 0 reads it every time.
	TTL time.Duration
	Now func() time.Time

	mu      sync.Mutex
	catalog access.Scopes
	read    time.Time
	valid   bool
}

// Put adds scope name to the catalog or changes its description.
// Errors: Invalid (a bad or reserved name, latchkey:admin), Unavailable.
func (s *Service) Put(ctx context.Context, name, description string) (*Scope, error) {
	if name == access.AdminScope {
		return nil, ErrBuiltIn
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	now := clock.Stored(s.Now())
	sc := &Scope{Name: name, Description: description, Created: now, Updated: now}
	if err := s.Store.Put(ctx, sc); err != nil {
		return nil, err
	}
	s.forget()
	return s.Store.FindByName(ctx, name)
}

// List returns a page of the catalog in name order; the first page starts
// with the built-in latchkey:admin.
func (s *Service) List(ctx context.Context, pg page.Page) ([]Scope, string, error) {
	list, next, err := s.Store.Find(ctx, pg)
	if err != nil {
		return nil, "", err
	}
	if pg.Cursor == "" {
		list = append([]Scope{Admin}, list...)
	}
	return list, next, nil
}

// Delete removes scope name from the catalog, unless a live token of any
// tenant still holds it. The check reads each tenant's index of scope
// names (one indexed read per tenant): deleting a scope is rare, and a
// per-scope count of holders would have to follow every token's end,
// expiry by time included, to stay exact. A token made with the scope
// while the delete runs may still name it afterwards; such a name is
// shown as it is and holds nothing the catalog does not declare.
// Errors: Invalid (latchkey:admin), NotFound, Conflict (ErrHeld),
// Unavailable.
func (s *Service) Delete(ctx context.Context, name string) error {
	if name == access.AdminScope {
		return ErrBuiltIn
	}
	if !access.ValidScopeName(name) {
		return ErrNotFound
	}
	if _, err := s.Store.FindByName(ctx, name); err != nil {
		return err
	}
	now := s.Now()
	pg := page.Page{Limit: page.MaxLimit}
	for {
		list, next, err := s.Tenants.List(ctx, pg)
		if err != nil {
			return err
		}
		for _, t := range list {
			held, err := s.Store.Held(ctx, t.ID, name, now)
			if err != nil {
				return err
			}
			if held {
				return ErrHeld
			}
		}
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	if err := s.Store.Delete(ctx, name); err != nil {
		return err
	}
	s.forget()
	return nil
}

// Check returns nil when every name is in the catalog (latchkey:admin
// included). Errors: Invalid on field, naming the first unknown name;
// Unavailable.
func (s *Service) Check(ctx context.Context, field string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !cat.Has(n) {
			return errs.E(errs.Invalid, field, "The scope "+quote(n)+" is not in the catalog (GET /scopes/).")
		}
	}
	return nil
}

// quote shows a name a client sent: as it is when it has the form of a
// scope name, else as "(not a scope name)", so no odd text is echoed.
func quote(n string) string {
	if access.ValidScopeName(n) {
		return n
	}
	return "(not a scope name)"
}

// Catalog returns the whole catalog as a restricted set (what an
// unrestricted request's effective scopes list), read at most once per TTL.
// Errors: Unavailable.
func (s *Service) Catalog(ctx context.Context) (access.Scopes, error) {
	now := s.Now()
	s.mu.Lock()
	if s.valid && s.TTL > 0 && now.Sub(s.read) < s.TTL {
		c := s.catalog
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	names := []string{access.AdminScope}
	pg := page.Page{Limit: page.MaxLimit}
	for {
		list, next, err := s.Store.Find(ctx, pg)
		if err != nil {
			return access.Scopes{}, err
		}
		for _, sc := range list {
			names = append(names, sc.Name)
		}
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	c := access.ScopesOf(names)
	s.mu.Lock()
	s.catalog, s.read, s.valid = c, now, true
	s.mu.Unlock()
	return c, nil
}

// forget drops the catalog read, after a change on this instance.
func (s *Service) forget() {
	s.mu.Lock()
	s.valid = false
	s.mu.Unlock()
}
