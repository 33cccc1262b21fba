package authn

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

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

// TestCanMatrix is SPEC §6, row by row.
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
	if e == nil || e.Code != errs.Forbidden || e.Fields["permission"] == "" {
		t.Errorf("got %v, want forbidden on permission", e)
	}
	if !p.Can(ManageUsers) {
		t.Error("an owner's OBO token may not manage users")
	}
}

func TestUserTokenOf(t *testing.T) {
	cases := []struct {
		header map[string]string
		want   string
	}{
		{map[string]string{"Token": "lku_a"}, "lku_a"},
		{map[string]string{"Authorization": "Token lku_b"}, "lku_b"},
		{map[string]string{"Authorization": "Bearer lku_c"}, "lku_c"},
		{map[string]string{"Authorization": "bearer  lku_d "}, "lku_d"},
		{map[string]string{"Authorization": "Basic dTpw"}, ""},
		{map[string]string{"Authorization": "Bearer"}, ""},
		{map[string]string{"Token": "lku_e", "Authorization": "Bearer lku_f"}, "lku_e"},
		{nil, ""},
	}
	for _, tc := range cases {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		for k, v := range tc.header {
			c.Request.Header.Set(k, v)
		}
		if got := UserTokenOf(c); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.header, got, tc.want)
		}
	}
}
