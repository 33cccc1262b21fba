package access

import (
	"testing"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

func TestRoleOrdering(t *testing.T) {
	order := []Role{Owner, Admin, Support, Member}
	for i, r := range order {
		if !r.Valid() {
			t.Errorf("%s: Valid: got false", r)
		}
		for j, o := range order {
			if got, want := r.AtLeast(o), i <= j; got != want {
				t.Errorf("%s.AtLeast(%s): got %v, want %v", r, o, got, want)
			}
			want := order[max(i, j)]
			if got := Weaker(r, o); got != want {
				t.Errorf("Weaker(%s, %s): got %s, want %s", r, o, got, want)
			}
		}
	}
	for _, r := range []Role{"", "root", "Owner"} {
		if r.Valid() {
			t.Errorf("%q: Valid: got true", r)
		}
		if r.AtLeast(Member) {
			t.Errorf("%q.AtLeast(member): got true", r)
		}
	}
}

// TestCanMatrix is the permission matrix, row by row.
func TestCanMatrix(t *testing.T) {
	type row struct{ owner, admin, support, member bool }
	matrix := map[Action]row{
		ManageAppTokens: {true, true, false, false},
		ExpireAppTokens: {true, true, true, false},
		ViewAppTokens:   {true, true, true, false},
		ManageUsers:     {true, true, false, false},
		ViewUsers:       {true, true, true, false},
		IssueOBO:        {true, true, false, false},
		ViewAnyToken:    {true, true, true, false},
		ExpireAnyToken:  {true, true, true, false},
		ExtendAnyToken:  {true, true, false, false},
		ReadAudit:       {true, true, true, false},
		ManageTenants:   {true, false, false, false},
		ForceAppTokens:  {true, false, false, false},
		UnlockUsers:     {true, true, true, false},
		ReadUsage:       {true, true, true, false},
		ManageWebhooks:  {true, true, false, false},
	}
	if len(matrix) != len(minRole) {
		t.Errorf("the test covers %d actions, the matrix has %d", len(matrix), len(minRole))
	}
	for a, want := range matrix {
		for role, allowed := range map[Role]bool{Owner: want.owner, Admin: want.admin, Support: want.support, Member: want.member} {
			p := &Principal{Role: role, Platform: true}
			if got := p.Can(a); got != allowed {
				t.Errorf("%s may %s: got %v, want %v", role, a, got, allowed)
			}
			err := p.Check(a)
			if allowed != (err == nil) {
				t.Errorf("%s Check(%s): got %v", role, a, err)
			}
			if err != nil && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s Check(%s): got %v, want forbidden", role, a, err)
			}
		}
	}
	if (&Principal{Role: Owner}).Can("no such action") {
		t.Error("an unknown action is allowed")
	}
}

func TestCanTenantsOnlyOnThePlatform(t *testing.T) {
	p := &Principal{Role: Owner, Platform: false}
	if p.Can(ManageTenants) {
		t.Error("an owner of another tenant may manage tenants")
	}
	e, _ := errs.As(p.Check(ManageTenants))
	if e == nil || e.Fields["permission"] != "Only owners of the platform tenant may manage tenants." {
		t.Errorf("got %v, want the platform message", e)
	}
}

func TestCanOBOTokenCannotIssueOBO(t *testing.T) {
	p := &Principal{Role: Owner, ActorID: ids.New()}
	if !p.OBO() {
		t.Fatal("OBO: got false")
	}
	if p.Can(IssueOBO) {
		t.Error("an OBO token may issue OBO tokens")
	}
	e, _ := errs.As(p.Check(IssueOBO))
	if e == nil || e.Code != errs.Forbidden || e.Fields["token"] != "An on-behalf-of token cannot do this." {
		t.Errorf("got %v, want forbidden on token", e)
	}
	if !p.Can(ManageUsers) {
		t.Error("an owner's OBO token may not manage users")
	}
}

// TestCheckMakeCredential: an OBO token makes no credential, whatever its
// role; every other token may (the role rules are the matrix's).
func TestCheckMakeCredential(t *testing.T) {
	for _, r := range []Role{Owner, Admin, Support, Member} {
		if err := (&Principal{Role: r, Platform: true}).CheckMakeCredential(); err != nil {
			t.Errorf("%s without an actor: got %v, want nil", r, err)
		}
		e, _ := errs.As((&Principal{Role: r, Platform: true, ActorID: ids.New()}).CheckMakeCredential())
		if e == nil || e.Code != errs.Forbidden || len(e.Fields) != 1 || e.Fields["token"] != "An on-behalf-of token cannot do this." {
			t.Errorf("%s OBO: got %v, want forbidden on token", r, e)
		}
	}
}

// TestRankRules: an admin cannot act on an owner, and issues OBO tokens
// only for users up to its own role; an owner acts on anyone; support
// staff and members manage no user and issue no OBO token; an OBO token
// issues none, whatever its role.
func TestRankRules(t *testing.T) {
	roles := []Role{Owner, Admin, Support, Member}
	for _, actor := range roles {
		for _, target := range roles {
			p := &Principal{Role: actor}
			manage := actor.AtLeast(Admin) && actor.AtLeast(target)
			if err := p.CheckManage(target); (err == nil) != manage {
				t.Errorf("%s manages a %s: got %v, want allowed %v", actor, target, err, manage)
			} else if err != nil && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s manages a %s: got %v, want Forbidden", actor, target, err)
			}
			if err := p.CheckAssign(target); (err == nil) != manage {
				t.Errorf("%s gives a user the role %s: got %v, want allowed %v", actor, target, err, manage)
			}
			if err := p.CheckIssueOBO(target); (err == nil) != manage {
				t.Errorf("%s issues OBO for a %s: got %v, want allowed %v", actor, target, err, manage)
			}
			obo := &Principal{Role: actor, ActorID: ids.New()}
			if err := obo.CheckIssueOBO(target); err == nil {
				t.Errorf("an OBO token of role %s issued an OBO token for a %s", actor, target)
			}
		}
	}
	// Named cases, so a changed rule reads plainly in a failure.
	admin := &Principal{Role: Admin}
	if admin.CheckManage(Owner) == nil {
		t.Error("an admin may act on an owner")
	}
	if admin.CheckManage(Admin) != nil || admin.CheckIssueOBO(Admin) != nil {
		t.Error("an admin may not act on another admin")
	}
	if admin.CheckAssign(Owner) == nil {
		t.Error("an admin may make an owner")
	}
	if admin.CheckIssueOBO(Owner) == nil {
		t.Error("an admin may issue an OBO token for an owner")
	}
	// Each error names the field that is wrong: the user acted on, or the
	// role given.
	for name, tc := range map[string]struct {
		err   error
		field string
	}{
		"manage": {admin.CheckManage(Owner), "user"},
		"assign": {admin.CheckAssign(Owner), "role"},
		"obo":    {admin.CheckIssueOBO(Owner), "user"},
	} {
		if e, _ := errs.As(tc.err); e == nil || e.Fields[tc.field] == "" {
			t.Errorf("%s: got %v, want the error on the field %s", name, tc.err, tc.field)
		}
	}
}
