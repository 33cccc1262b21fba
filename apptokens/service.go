package apptokens

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Service manages app tokens.
type Service struct {
	Tenants *tenants.Service
	Store   Store
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
}

// New is the input of Create.
type New struct {
	Name string
	// Seconds until the token expires; nil takes the tenant's app_token_ttl.
	Seconds   *int64
	CreatedBy *ids.ID
}

// Create makes an app token for t and returns it with its secret, which is
// never available again. Errors: Invalid (seconds over the maximum),
// Unavailable.
func (s *Service) Create(ctx context.Context, t *tenants.Tenant, in New) (*Token, string, error) {
	seconds := t.Settings.AppTokenTTL
	if in.Seconds != nil {
		seconds = *in.Seconds
	}
	if seconds < 1 {
		return nil, "", errs.E(errs.Invalid, "seconds_until_expire", "Must be at least 1 when creating a token.")
	}
	if err := tenants.CheckSeconds(seconds, tenants.MaxAppTokenTTL); err != nil {
		return nil, "", err
	}
	now := mongostore.Time(s.Now())
	id := ids.New()
	plain := secret.NewToken(secret.App, t.ID, id)
	tok := &Token{ID: id, Hash: secret.Hash(plain), Name: in.Name, Created: now,
		CreatedBy: in.CreatedBy, Expires: tenants.Expiry(now, seconds)}
	if err := s.Store.Insert(ctx, s.Tenants.DB(t.ID), tok); err != nil {
		return nil, "", err
	}
	return tok, plain, nil
}

// Get returns the app token ref (a public id or the token string) of
// tenant. Errors: Invalid (malformed ref), NotFound.
func (s *Service) Get(ctx context.Context, tenantID, ref string) (*Token, error) {
	r, err := secret.ParseRef(ref, secret.App, tenantID, "token")
	if err != nil {
		return nil, err
	}
	return s.Store.FindByRef(ctx, s.Tenants.DB(tenantID), r)
}

// List returns a page of the tenant's app tokens, newest first.
func (s *Service) List(ctx context.Context, tenantID string, pg page.Page) ([]Token, string, error) {
	return s.Store.Find(ctx, s.Tenants.DB(tenantID), pg)
}

// SetExpiry re-dates the app token ref to seconds from now (-1 or less:
// now, which expires it). It also re-dates an expired token. The cache of
// this instance forgets the tenant's credentials at once. Errors: Invalid,
// NotFound.
func (s *Service) SetExpiry(ctx context.Context, t *tenants.Tenant, ref string, seconds int64) (*Token, error) {
	if err := tenants.CheckSeconds(seconds, tenants.MaxAppTokenTTL); err != nil {
		return nil, err
	}
	tok, err := s.Get(ctx, t.ID, ref)
	if err != nil {
		return nil, err
	}
	tok.Expires = tenants.Expiry(mongostore.Time(s.Now()), seconds)
	if err := s.Store.SetExpires(ctx, s.Tenants.DB(t.ID), tok.ID, tok.Expires); err != nil {
		return nil, err
	}
	s.Invalidate(t.ID)
	return tok, nil
}

// Delete removes the app token ref. Errors: Invalid, NotFound.
func (s *Service) Delete(ctx context.Context, tenantID, ref string) (*Token, error) {
	tok, err := s.Get(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if err := s.Store.Delete(ctx, s.Tenants.DB(tenantID), tok.ID); err != nil {
		return nil, err
	}
	s.Invalidate(tenantID)
	return tok, nil
}

// FindByToken returns the app token a token string names (ref made with
// secret.RefOf) in db, for authentication.
// Errors: NotFound, Unavailable.
func (s *Service) FindByToken(ctx context.Context, db *mongo.Database, ref secret.Ref) (*Token, error) {
	return s.Store.FindByRef(ctx, db, ref)
}

// ErrChosenSecret answers a request that tries to name its own token string.
var ErrChosenSecret = secret.Chosen("app_token")
