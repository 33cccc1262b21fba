package access

import "github.com/latchkey/latchkey/internal/errs"

// The rank rules, in one place: who may act on a user of
// a given role. Services call them wherever a principal acts on another
// user; the permission matrix (Can, Check) says whether the principal may
// do the kind of thing at all, these say whether it may do it to this user.
// Each needs a role at least the target's, so an admin acts on admins,
// support staff and members but never on an owner.

// CheckManage returns nil when p may change (a password reset included) or
// delete a user whose current role is target: p needs ManageUsers and a
// role at least target's. Errors: Forbidden, on the field "user".
func (p *Principal) CheckManage(target Role) error {
	return p.checkRank(ManageUsers, target, "user",
		"may not act on a user whose role ("+string(target)+") is above it.")
}

// CheckAssign returns nil when p may give a user the role r, creating the
// user or changing its role: p needs ManageUsers and a role at least r, so
// an admin cannot make an owner. A role change needs CheckManage of the
// current role too. Errors: Forbidden, on the field "role".
func (p *Principal) CheckAssign(r Role) error {
	return p.checkRank(ManageUsers, r, "role",
		"may not give a user the role "+string(r)+", which is above it.")
}

// CheckIssueOBO returns nil when p may issue an on-behalf-of token for a
// user whose role is target: p needs IssueOBO (so not with an OBO token
// itself) and a role at least target's, so an admin issues them for users
// up to admin and an owner for anyone. Errors: Forbidden, on the field
// "user".
func (p *Principal) CheckIssueOBO(target Role) error {
	return p.checkRank(IssueOBO, target, "user",
		"may not issue on-behalf-of tokens for a user whose role ("+string(target)+") is above it.")
}

// checkRank returns nil when p may do a, to a user of role target: p's
// role is at least target's. The Forbidden error is on field, its message
// "Your role (<role>) " and then refusal.
func (p *Principal) checkRank(a Action, target Role, field, refusal string) error {
	if err := p.Check(a); err != nil {
		return err
	}
	if !p.Role.AtLeast(target) {
		return errs.E(errs.Forbidden, field, "Your role ("+string(p.Role)+") "+refusal)
	}
	return nil
}
