package access

import (
	"github.com/latchkey/latchkey/internal/errs"
)

// Action is something a principal may be allowed to do.
type Action string

// The actions of the permission matrix (docs/API.md) that depend on the role. A user's own session and
// personal tokens need no action: every role has them.
const (
	ManageAppTokens Action = "manage app tokens" // create, extend
	ExpireAppTokens Action = "expire app tokens" // expire, delete
	ViewAppTokens   Action = "view app tokens"
	ManageUsers     Action = "manage users"
	ViewUsers       Action = "view users"
	IssueOBO        Action = "issue obo tokens"
	ViewAnyToken    Action = "view any user token"
	ExpireAnyToken  Action = "expire any user token" // expire, delete, bulk expire
	ExtendAnyToken  Action = "extend any user token"
	ReadAudit       Action = "read the audit log"
	ManageTenants   Action = "manage tenants"
	// ForceAppTokens removes a tenant's last live app token (?force=true).
	ForceAppTokens Action = "remove the tenant's last live app token"
	// UnlockUsers ends a username's login lockout at once.
	UnlockUsers Action = "unlock users"
	// ReadUsage reads the app tokens' usage counts.
	ReadUsage Action = "read usage"
	// ManageWebhooks covers the webhook API: manage, read deliveries, retry.
	ManageWebhooks Action = "manage webhooks"
)

// minRole is the permission matrix: the weakest role allowed each action.
var minRole = map[Action]Role{
	ManageAppTokens: Admin,
	ExpireAppTokens: Support,
	ViewAppTokens:   Support,
	ManageUsers:     Admin,
	ViewUsers:       Support,
	IssueOBO:        Admin,
	ViewAnyToken:    Support,
	ExpireAnyToken:  Support,
	ExtendAnyToken:  Admin,
	ReadAudit:       Support,
	ManageTenants:   Owner,
	ForceAppTokens:  Owner,
	UnlockUsers:     Support,
	ReadUsage:       Support,
	ManageWebhooks:  Admin,
}

// Can reports whether p may do a. Managing tenants also needs the platform
// tenant; issuing OBO tokens is never allowed with an OBO token
// (CheckMakeCredential). A principal whose effective scopes lack
// AdminScope may do none of them: it acts as a member on its own session.
func (p *Principal) Can(a Action) bool {
	min, ok := minRole[a]
	if !ok || !p.Role.AtLeast(min) || !p.Admin() {
		return false
	}
	switch a {
	case ManageTenants:
		return p.Platform
	case IssueOBO:
		return p.CheckMakeCredential() == nil
	}
	return true
}

// Check returns a Forbidden error unless p may do a.
func (p *Principal) Check(a Action) error {
	if p.Can(a) {
		return nil
	}
	if !p.Admin() {
		return ErrAdminScope
	}
	if a == IssueOBO {
		if err := p.CheckMakeCredential(); err != nil {
			return err
		}
	}
	if a == ManageTenants && !p.Platform {
		return errs.E(errs.Forbidden, "permission", "Only owners of the platform tenant may manage tenants.")
	}
	return errs.E(errs.Forbidden, "permission", "Your role ("+string(p.Role)+") may not "+string(a)+".")
}
