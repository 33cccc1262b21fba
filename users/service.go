package users

import (
	"context"
	"maps"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Tokens ends a user's tokens when the user is disabled, deleted or given
// a new password; usertokens implements it.
type Tokens interface {
	// ExpireUser expires every live token of user except keep (zero for
	// none), records by as why they ended, and returns how many.
	// Errors: Unavailable.
	ExpireUser(ctx context.Context, tenantID string, user, keep ids.ID, by ended.By) (int64, error)
	// ExpireIssuedBy expires, for good, every OBO token user issued.
	// Errors: Unavailable.
	ExpireIssuedBy(ctx context.Context, tenantID string, user ids.ID) (int64, error)
}

// Passwords checks a user's current password under the login lockout;
// usertokens implements it.
type Passwords interface {
	// CheckCurrentPassword reports whether password is u's. A wrong one
	// counts as a failed login of u's username, so a stolen session cannot
	// guess the password faster than logins can. Errors: Locked (field
	// "current_password"), Unavailable.
	CheckCurrentPassword(ctx context.Context, tenantID string, u *User, password string) (bool, error)
}

// Service manages a tenant's users.
type Service struct {
	Store     Store
	Tokens    Tokens
	Passwords Passwords
	Hasher    secret.Argon2
	// Hashes bounds the password hashes running at once (nil: no bound).
	Hashes *secret.Limiter
	// Invalidate drops a tenant's cached credentials on this instance.
	Invalidate func(tenantID string)
	Now        func() time.Time
}

// New is the input of Create.
type New struct {
	Username string      `json:"username"`
	Password string      `json:"password"`
	Email    string      `json:"email"`
	Role     access.Role `json:"role"`
}

// Check returns every field error of u at once, with names prefixed by
// prefix (e.g. "admin.").
func (u New) Check(prefix string) error {
	bad := map[string]string{}
	checkUsername(bad, prefix+"username", u.Username)
	checkPassword(bad, prefix+"password", u.Password)
	checkEmail(bad, prefix+"email", u.Email)
	checkRole(bad, prefix+"role", u.Role)
	return errs.Fields(bad)
}

// Create adds a user to tenant. by is the caller (nil for bootstrap and
// signup), who may only give roles up to its own (authn's rank rules): an
// admin cannot create owners. Errors: Invalid, Forbidden,
// Conflict (username taken, field "username").
func (s *Service) Create(ctx context.Context, tenantID string, in New, by *access.Principal) (*User, error) {
	if err := in.Check(""); err != nil {
		return nil, err
	}
	if by != nil {
		if err := by.CheckAssign(in.Role); err != nil {
			return nil, err
		}
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(s.Now())
	u := &User{ID: ids.New(), Username: in.Username, UsernameKey: UsernameKey(in.Username), Email: in.Email,
		Role: in.Role, Status: Active, PasswordHash: hash, Created: now, Updated: now}
	if err := s.Store.Insert(ctx, tenantID, u); err != nil {
		return nil, err
	}
	return u, nil
}

// hash hashes password in one of the hash slots. Errors: Unavailable
// (every slot and the queue taken).
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	release, err := s.Hashes.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return s.Hasher.HashPassword(password), nil
}

// Get returns user id of tenant. Errors: NotFound.
func (s *Service) Get(ctx context.Context, tenantID string, id ids.ID) (*User, error) {
	return s.Store.FindByID(ctx, tenantID, id)
}

// FindByUsername returns the user of username (case-insensitive) in
// tenant. Errors: NotFound, Unavailable.
func (s *Service) FindByUsername(ctx context.Context, tenantID, username string) (*User, error) {
	return s.Store.FindByUsername(ctx, tenantID, username)
}

// PathID returns the user a path's {id} names for p: a user id, or else
// a username (compared as at login), wherever a path takes a user. A
// 24-hex string is always read as an id. A username other than p's own is
// looked up only when p may view users (else Forbidden), so that the
// answer does not tell a member which usernames exist. Errors: Invalid (an
// empty or over-long name), Forbidden, NotFound, Unavailable.
func (s *Service) PathID(ctx context.Context, p *access.Principal, raw string) (ids.ID, error) {
	if id, err := ids.Parse(raw); err == nil {
		return id, nil
	}
	if raw == "" || len(raw) > 254 {
		return ids.ID{}, errs.E(errs.Invalid, "id", errs.MalformedID)
	}
	if UsernameKey(raw) == UsernameKey(p.Username) && !p.UserID.IsZero() {
		return p.UserID, nil
	}
	if err := p.Check(access.ViewUsers); err != nil {
		return ids.ID{}, err
	}
	u, err := s.Store.FindByUsername(ctx, p.TenantID, raw)
	if err != nil {
		return ids.ID{}, err
	}
	return u.ID, nil
}

// List returns a page of the tenant's users.
func (s *Service) List(ctx context.Context, tenantID string, f Filter, pg page.Page) ([]User, string, error) {
	return s.Store.Find(ctx, tenantID, f, pg)
}

// Patch changes a user; nil fields stay. CurrentPassword is required, and
// checked, when a user changes its own password; otherwise it is ignored.
type Patch struct {
	Email           *string      `json:"email"`
	Role            *access.Role `json:"role"`
	Status          *string      `json:"status"`
	Password        *string      `json:"password"`
	CurrentPassword *string      `json:"current_password" patch:"-"`
}

var (
	errNoCurrentPassword    = errs.E(errs.Invalid, "current_password", "Required to change your own password.")
	errWrongCurrentPassword = errs.E(errs.Forbidden, "current_password", "This is not your current password.")
)

// Update applies patch to user id. Users may change their own email and
// password but not their own role or status; changing others follows
// authn's rank rules for the user's current role and any new one, so only
// owners change owners or make them. A password is a credential: an
// on-behalf-of token sets none (authn's CheckMakeCredential), and a user
// changing its own proves it with its current password (missing: Invalid,
// wrong: Forbidden, both on "current_password"; checked under the login
// lockout, so also Locked). Disabling a user or changing its password ends
// its tokens at once, except, for a user changing its own password, the
// token it used; disabling also ends for good the OBO tokens it issued.
// Errors: Invalid, Forbidden, NotFound, Conflict, Locked.
func (s *Service) Update(ctx context.Context, p *access.Principal, id ids.ID, patch Patch) (*User, error) {
	if patch.Password != nil {
		if err := p.CheckMakeCredential(); err != nil {
			return nil, err
		}
	}
	if id != p.UserID && !p.Can(access.ManageUsers) {
		return nil, p.Check(access.ManageUsers) // before the lookup: a 404 would tell which ids exist
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
		if self && patch.CurrentPassword == nil {
			bad["current_password"] = errNoCurrentPassword.Fields["current_password"]
		}
	}
	if patch.Role != nil {
		checkRole(bad, "role", *patch.Role)
		if err := p.CheckAssign(*patch.Role); err != nil {
			return nil, err
		}
		u.Role = *patch.Role
	}
	if patch.Status != nil {
		if *patch.Status != Active && *patch.Status != Disabled {
			bad["status"] = "Must be one of: active, disabled."
		}
		u.Status = *patch.Status
	}
	if err := errs.Fields(bad); err != nil {
		return nil, err
	}
	if patch.Password != nil && self {
		if err := s.checkCurrent(ctx, p.TenantID, u, *patch.CurrentPassword); err != nil {
			return nil, err
		}
	}
	if patch.Password != nil {
		if u.PasswordHash, err = s.hash(ctx, *patch.Password); err != nil {
			return nil, err
		}
	}
	u.Updated = clock.Stored(s.Now())
	if err := s.Store.Replace(ctx, p.TenantID, u); err != nil {
		return nil, err
	}
	switch {
	case u.Status == Disabled:
		err = s.endTokens(ctx, p.TenantID, u.ID)
	case patch.Password != nil && self:
		_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, p.TokenID, ended.User)
	case patch.Password != nil:
		_, err = s.Tokens.ExpireUser(ctx, p.TenantID, u.ID, ids.ID{}, ended.Support)
	default:
		s.Invalidate(p.TenantID) // role and status are cached with credentials
	}
	return u, err
}

// checkCurrent returns nil when password is u's current password, checked
// by Passwords under the login lockout. Errors: Forbidden, Locked,
// Unavailable.
func (s *Service) checkCurrent(ctx context.Context, tenantID string, u *User, password string) error {
	ok, err := s.Passwords.CheckCurrentPassword(ctx, tenantID, u, password)
	switch {
	case err != nil:
		return err
	case !ok:
		return errWrongCurrentPassword
	}
	return nil
}

// endTokens expires every token of user (another user disabled or deleted
// it: reason "support") and every OBO token it issued (reason "issuer").
func (s *Service) endTokens(ctx context.Context, tenantID string, user ids.ID) error {
	if _, err := s.Tokens.ExpireUser(ctx, tenantID, user, ids.ID{}, ended.Support); err != nil {
		return err
	}
	_, err := s.Tokens.ExpireIssuedBy(ctx, tenantID, user)
	return err
}

// checkChange decides whether p may change u; roleOrStatus says whether the
// change touches u's role or status, which nobody may change on themselves.
// Changing another user follows authn's rank rules.
func (s *Service) checkChange(p *access.Principal, u *User, roleOrStatus bool) error {
	if u.ID != p.UserID {
		return p.CheckManage(u.Role)
	}
	if roleOrStatus {
		return errs.E(errs.Conflict, "user", "You cannot change your own role or status.")
	}
	return nil
}

// Delete removes user id and ends its tokens and the OBO tokens it issued.
// Nobody deletes themselves; deleting others follows authn's rank rules.
// Errors: Forbidden, NotFound, Conflict.
func (s *Service) Delete(ctx context.Context, p *access.Principal, id ids.ID) error {
	u, err := s.Get(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	if u.ID == p.UserID {
		return errs.E(errs.Conflict, "user", "You cannot delete yourself.")
	}
	if err := p.CheckManage(u.Role); err != nil {
		return err
	}
	if err := s.Store.Delete(ctx, p.TenantID, u.ID); err != nil {
		return err
	}
	return s.endTokens(ctx, p.TenantID, u.ID)
}

// Reset is what ResetOwner changed.
type Reset struct {
	User *User
	// Was is the user before: its role and status.
	Was User
	// Ended is how many of its tokens were ended.
	Ended int64
}

// ResetOwner is the recovery of an account without the API (latchkey user
// reset-password): it gives the user username of tenant a new password and
// makes it an active owner (enabling it, promoting it), since its purpose
// is to give a tenant back someone who can manage it, and ends its tokens.
// Ending its lockout is usertokens'. Errors: Invalid (field "password"),
// NotFound, Unavailable.
func (s *Service) ResetOwner(ctx context.Context, tenantID, username, password string) (*Reset, error) {
	bad := map[string]string{}
	if checkPassword(bad, "password", password); len(bad) > 0 {
		return nil, errs.Fields(bad)
	}
	u, err := s.Store.FindByUsername(ctx, tenantID, username)
	if err != nil {
		return nil, err
	}
	r := &Reset{User: u, Was: *u}
	if u.PasswordHash, err = s.hash(ctx, password); err != nil {
		return nil, err
	}
	u.Role, u.Status, u.Updated = access.Owner, Active, clock.Stored(s.Now())
	if err := s.Store.Replace(ctx, tenantID, u); err != nil {
		return nil, err
	}
	r.Ended, err = s.Tokens.ExpireUser(ctx, tenantID, u.ID, ids.ID{}, ended.Support)
	return r, err
}

// ErrTenantCreating refuses to restore an owner of a tenant that is still
// being made (or was left half-made: serve finishes or removes it at start).
var ErrTenantCreating = errs.E(errs.Conflict, "tenant", "The tenant is still being created.")

// RestoreOwner gives tenant t a new active owner, made by a platform owner:
// the way back for a tenant that has lost its owners. The caller
// checks that it may. Errors: Invalid, Conflict (username taken,
// ErrTenantCreating), Unavailable.
func (s *Service) RestoreOwner(ctx context.Context, t *tenants.Tenant, username, password, email string) (*User, error) {
	if t.Status == tenants.Creating {
		return nil, ErrTenantCreating
	}
	return s.Create(ctx, t.ID, New{Username: username, Password: password, Email: email, Role: access.Owner}, nil)
}

// CheckMember returns every field error of a would-be member at once
// (fields "username", "password", "email"; a taken username included), or
// nil. Errors: Invalid, Unavailable.
func (s *Service) CheckMember(ctx context.Context, tenantID, username, password, email string) error {
	bad := map[string]string{}
	if e, ok := errs.As(New{Username: username, Password: password, Email: email, Role: access.Member}.Check("")); ok {
		maps.Copy(bad, e.Fields)
	}
	if _, wrong := bad["username"]; !wrong {
		_, err := s.Store.FindByUsername(ctx, tenantID, username)
		switch {
		case err == nil:
			bad["username"] = ErrUsernameTaken.Fields["username"]
		case !errs.Is(err, errs.NotFound):
			return err
		}
	}
	return errs.Fields(bad)
}

// CreateMember adds an active member made by nobody (signup).
// Errors: Invalid, Conflict (field "username").
func (s *Service) CreateMember(ctx context.Context, tenantID, username, password, email string) (*User, error) {
	return s.Create(ctx, tenantID, New{Username: username, Password: password, Email: email, Role: access.Member}, nil)
}
