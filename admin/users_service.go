package admin

import (
	"context"
	"maps"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usertokens"
)

// Users manages a tenant's users. It is also the user directory usertokens
// reads (usertokens.Users).
type Users struct {
	Tenants *tenants.Service
	Tokens  *usertokens.Service
	Store   UserStore
	Hasher  secret.Argon2
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
}

var _ usertokens.Users = (*Users)(nil)

func (s *Users) db(tenantID string) *mongo.Database { return s.Tenants.DB(tenantID) }

// NewUser is the input of Create.
type NewUser struct {
	Username string     `json:"username"`
	Password string     `json:"password"`
	Email    string     `json:"email"`
	Role     authn.Role `json:"role"`
}

// Check returns every field error of u at once, with names prefixed by
// prefix (e.g. "admin.").
func (u NewUser) Check(prefix string) error {
	bad := map[string]string{}
	checkUsername(bad, prefix+"username", u.Username)
	checkPassword(bad, prefix+"password", u.Password)
	checkEmail(bad, prefix+"email", u.Email)
	checkRole(bad, prefix+"role", u.Role)
	return errs.Fields(bad)
}

// Create adds a user to tenant. by is the caller (nil for bootstrap and
// signup); an admin cannot create owners. Errors: Invalid, Forbidden,
// Conflict (username taken, field "username").
func (s *Users) Create(ctx context.Context, tenantID string, in NewUser, by *authn.Principal) (*User, error) {
	if err := in.Check(""); err != nil {
		return nil, err
	}
	if by != nil && in.Role == authn.Owner && by.Role != authn.Owner {
		return nil, errs.E(errs.Forbidden, "role", "Only an owner may create owners.")
	}
	now := mongostore.Time(s.Now())
	u := &User{ID: ids.New(), Username: in.Username, UsernameKey: UsernameKey(in.Username), Email: in.Email,
		Role: in.Role, Status: UserActive, PasswordHash: s.Hasher.HashPassword(in.Password), Created: now, Updated: now}
	if err := s.Store.Insert(ctx, s.db(tenantID), u); err != nil {
		return nil, err
	}
	return u, nil
}

// Get returns user id of tenant. Errors: NotFound.
func (s *Users) Get(ctx context.Context, tenantID string, id ids.ID) (*User, error) {
	return s.Store.FindByID(ctx, s.db(tenantID), id)
}

// List returns a page of the tenant's users.
func (s *Users) List(ctx context.Context, tenantID string, f UserFilter, pg page.Page) ([]User, string, error) {
	return s.Store.Find(ctx, s.db(tenantID), f, pg)
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Email    *string     `json:"email"`
	Role     *authn.Role `json:"role"`
	Status   *string     `json:"status"`
	Password *string     `json:"password"`
}

// Update applies patch to user id. Users may change their own email and
// password; changing others needs ManageUsers, and only owners change
// owners or make them. Disabling a user or changing its password ends its
// tokens at once, except, for a user changing its own password, the token
// it used. Errors: Invalid, Forbidden, NotFound, Conflict.
func (s *Users) Update(ctx context.Context, p *authn.Principal, id ids.ID, patch UserPatch) (*User, error) {
	if id != p.UserID && !p.Can(authn.ManageUsers) {
		return nil, p.Check(authn.ManageUsers) // before the lookup: a 404 would tell which ids exist
	}
	u, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	self := u.ID == p.UserID
	if err := s.checkChange(p, u, patch.Role != nil || patch.Status != nil); err != nil {
		return nil, err
	}
	bad := map[string]string{}
	if patch.Email != nil {
		checkEmail(bad, "email", *patch.Email)
		u.Email = *patch.Email
	}
	if patch.Password != nil {
		checkPassword(bad, "password", *patch.Password)
	}
	if patch.Role != nil {
		checkRole(bad, "role", *patch.Role)
		if *patch.Role == authn.Owner && p.Role != authn.Owner {
			return nil, errs.E(errs.Forbidden, "role", "Only an owner may make owners.")
		}
		u.Role = *patch.Role
	}
	if patch.Status != nil {
		if *patch.Status != UserActive && *patch.Status != UserDisabled {
			bad["status"] = "Must be one of: active, disabled."
		}
		u.Status = *patch.Status
	}
	if err := errs.Fields(bad); err != nil {
		return nil, err
	}
	if patch.Password != nil {
		u.PasswordHash = s.Hasher.HashPassword(*patch.Password)
	}
	u.Updated = mongostore.Time(s.Now())
	if err := s.Store.Replace(ctx, s.db(p.TenantID), u); err != nil {
		return nil, err
	}
	switch {
	case u.Status == UserDisabled:
		_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, ids.ID{})
	case patch.Password != nil && self:
		_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, p.TokenID)
	case patch.Password != nil:
		_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, ids.ID{})
	default:
		s.Invalidate(p.TenantID) // role and status are cached with credentials
	}
	return u, err
}

// checkChange decides whether p may change u; roleOrStatus says whether the
// change touches u's role or status, which nobody may change on themselves.
func (s *Users) checkChange(p *authn.Principal, u *User, roleOrStatus bool) error {
	if u.ID == p.UserID {
		if roleOrStatus {
			return errs.E(errs.Conflict, "user", "You cannot change your own role or status.")
		}
		return nil
	}
	if err := p.Check(authn.ManageUsers); err != nil {
		return err
	}
	if u.Role == authn.Owner && p.Role != authn.Owner {
		return errs.E(errs.Forbidden, "user", "Only an owner may change or delete an owner.")
	}
	return nil
}

// Delete removes user id and ends its tokens. Nobody deletes themselves.
// Errors: Forbidden, NotFound, Conflict.
func (s *Users) Delete(ctx context.Context, p *authn.Principal, id ids.ID) error {
	u, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	if u.ID == p.UserID {
		return errs.E(errs.Conflict, "user", "You cannot delete yourself.")
	}
	if err := s.checkChange(p, u, true); err != nil {
		return err
	}
	if err := s.Store.Delete(ctx, s.db(p.TenantID), u.ID); err != nil {
		return err
	}
	_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, ids.ID{})
	return err
}

// FindByUsername implements usertokens.Users.
func (s *Users) FindByUsername(ctx context.Context, tenantID, username string) (*usertokens.Account, error) {
	u, err := s.Store.FindByUsername(ctx, s.db(tenantID), username)
	if err != nil {
		return nil, err
	}
	return u.Account(), nil
}

// FindByID implements usertokens.Users.
func (s *Users) FindByID(ctx context.Context, tenantID string, id ids.ID) (*usertokens.Account, error) {
	u, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return u.Account(), nil
}

// CheckMember implements usertokens.Users: the rules of Create for a member,
// plus whether the username is taken, every field error at once.
func (s *Users) CheckMember(ctx context.Context, tenantID, username, password, email string) error {
	bad := map[string]string{}
	if e, ok := errs.As(NewUser{Username: username, Password: password, Email: email, Role: authn.Member}.Check("")); ok {
		maps.Copy(bad, e.Fields)
	}
	if _, wrong := bad["username"]; !wrong {
		_, err := s.Store.FindByUsername(ctx, s.db(tenantID), username)
		switch {
		case err == nil:
			bad["username"] = "A user with that username already exists."
		case !errs.Is(err, errs.NotFound):
			return err
		}
	}
	return errs.Fields(bad)
}

// CreateMember implements usertokens.Users (signup): an active member made
// by nobody. Errors: Invalid, Conflict (field "username").
func (s *Users) CreateMember(ctx context.Context, tenantID, username, password, email string) (*usertokens.Account, error) {
	u, err := s.Create(ctx, tenantID, NewUser{Username: username, Password: password, Email: email, Role: authn.Member}, nil)
	if err != nil {
		return nil, err
	}
	return u.Account(), nil
}
