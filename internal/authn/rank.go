package authn

import "github.com/latchkey/latchkey/internal/errs"

// The rank rules of SPEC §4 and §6, in one place: who may act on a user of
// a given role. Services call them wherever a principal acts on another
// user; the permission matrix (Can, Check) says whether the principal may
// do the kind of thing at all, these say whether it may do it to this user.

// CheckManage returns nil when p may create, change or delete a user whose
// role is target: p needs ManageUsers and a role at least target's, so an
// admin manages admins, support staff and members but never an owner. For
// a role change, call it with the user's current role and again with the
// new one (an admin cannot make an owner either). Errors: Forbidden.
func (p *Principal) CheckManage(target Role) error {
	return p.checkRank(ManageUsers, target, "role", "act on")
}

// CheckIssueOBO returns nil when p may issue an on-behalf-of token for a
// user whose role is target: p needs IssueOBO (so not with an OBO token
// itself) and a role at least target's, so an admin issues them for users
// up to admin and an owner for anyone. Errors: Forbidden, on the field
// "user".
func (p *Principal) CheckIssueOBO(target Role) error {
	return p.checkRank(IssueOBO, target, "user", "issue on-behalf-of tokens for")
}

// checkRank returns nil when p may do a, to a user of role target: p's
// role is at least target's. The Forbidden error is on field.
func (p *Principal) checkRank(a Action, target Role, field, doing string) error {
	if err := p.Check(a); err != nil {
		return err
	}
	if !p.Role.AtLeast(target) {
		return errs.E(errs.Forbidden, field, "Your role ("+string(p.Role)+
			") may not "+doing+" a user whose role ("+string(target)+") is above it.")
	}
	return nil
}
