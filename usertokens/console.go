package usertokens

import (
	"context"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// ConsoleLoginInput is what a console sign-in presents: the tenant by its
// slug, instead of an App-Token.
type ConsoleLoginInput struct {
	Tenant string
	LoginInput
}

// ConsoleLogin signs in at the console: it finds the active tenant whose
// slug in names, and logs in there as Login does, through the tenant's
// built-in console app token (made on first use by ensure). An unknown or
// disabled tenant gets Login's answer to a wrong password after the same
// password check (on a dummy hash), so slugs cannot be told apart by the
// answer or its time; lockout, the hash slots and the lifetimes are
// Login's. It returns the tenant (nil when none was found) with the
// session. Errors: as Login.
func (s *Service) ConsoleLogin(ctx context.Context, in ConsoleLoginInput,
	ensure func(context.Context, *tenants.Tenant) error) (*tenants.Tenant, *Session, error) {
	t, err := s.consoleTenant(ctx, in.Tenant)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, s.unknownTenant(ctx, in.Password)
	}
	if err := ensure(ctx, t); err != nil {
		return t, nil, err
	}
	in.AppToken = access.ConsoleApp
	sess, err := s.Login(ctx, t.ID, in.LoginInput)
	return t, sess, err
}

// consoleTenant returns the active tenant of slug, nil when there is none.
func (s *Service) consoleTenant(ctx context.Context, slug string) (*tenants.Tenant, error) {
	if !tenants.ValidSlug(slug) {
		return nil, nil
	}
	t, err := s.Tenants.Store.FindBySlug(ctx, slug)
	switch {
	case errs.Is(err, errs.NotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !t.Active():
		return nil, nil
	}
	return t, nil
}

// unknownTenant does a login's password check on the dummy hash, in a hash
// slot, and answers as to a wrong password.
func (s *Service) unknownTenant(ctx context.Context, password string) error {
	release, err := s.Hashes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	s.checks.Add(1)
	if _, err := secret.CheckPassword(s.DummyHash, password); err != nil {
		return err
	}
	return &LoginError{Err: errCredentials}
}
