package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// testRateLimits: an app token's rate limit is stored, read back, changed
// and removed only while the token is live; a tenant's default is kept;
// a chunk of a window is claimed once (the second claim is a Conflict,
// however many instances ask).
func testRateLimits(t *testing.T, open Opener) {
	e := newEnv(t, open)
	as := e.st.AppTokens()
	tid := e.tenant.ID
	now := e.now()
	p := &ratelimit.Policy{Limit: 100, Seconds: 60}
	tok := &apptokens.Token{ID: ids.New(), Hash: "hash-rl", Name: "rl", Created: now, Expires: now.Add(time.Hour), RateLimit: p}
	must(t, "insert", as.Insert(e.ctx, tid, tok))
	got, err := as.FindByID(e.ctx, tid, tok.ID)
	must(t, "find", err)
	if got.RateLimit == nil || *got.RateLimit != *p {
		t.Fatalf("stored rate limit %+v, want %+v", got.RateLimit, p)
	}
	q := &ratelimit.Policy{Limit: 5, Seconds: 86_400}
	limit := func(p *ratelimit.Policy) apptokens.Details {
		return apptokens.Details{RateLimit: p, SetRateLimit: true}
	}
	must(t, "set", as.Change(e.ctx, tid, tok.ID, limit(q), now))
	if got, _ := as.FindByID(e.ctx, tid, tok.ID); got.RateLimit == nil || *got.RateLimit != *q {
		t.Fatalf("after setting the limit: %+v, want %+v", got.RateLimit, q)
	}
	// A change of other details keeps the limit; one change sets both.
	name := "renamed"
	must(t, "rename", as.Change(e.ctx, tid, tok.ID, apptokens.Details{Name: &name}, now))
	if got, _ := as.FindByID(e.ctx, tid, tok.ID); got.RateLimit == nil || *got.RateLimit != *q || got.Name != name {
		t.Fatalf("after renaming: %+v %q, want %+v renamed", got.RateLimit, got.Name, q)
	}
	both := limit(p)
	both.Name = &tok.Name
	must(t, "rename and limit", as.Change(e.ctx, tid, tok.ID, both, now))
	if got, _ := as.FindByID(e.ctx, tid, tok.ID); got.RateLimit == nil || *got.RateLimit != *p || got.Name != tok.Name {
		t.Fatalf("after one change of both: %+v %q, want %+v %q", got.RateLimit, got.Name, p, tok.Name)
	}
	must(t, "remove", as.Change(e.ctx, tid, tok.ID, limit(nil), now))
	if got, _ := as.FindByID(e.ctx, tid, tok.ID); got.RateLimit != nil {
		t.Fatalf("after removing: %+v, want nil", got.RateLimit)
	}
	// The tenant's first token, made before any limit, has none.
	first, _, _ := as.Find(e.ctx, tid, page.Page{Limit: 100})
	if first[len(first)-1].RateLimit != nil {
		t.Errorf("the first app token has rate limit %+v", first[len(first)-1].RateLimit)
	}
	wantErr(t, "unknown token", as.Change(e.ctx, tid, ids.New(), limit(q), now), apptokens.ErrNotFound)
	wantErr(t, "expired token", as.Change(e.ctx, tid, tok.ID, limit(q), now.Add(time.Hour)), apptokens.ErrExpiredChange)

	// The tenant's default.
	tn, err := e.st.Tenants().FindByID(e.ctx, tid)
	must(t, "find tenant", err)
	if tn.Settings.AppTokenRateLimit != nil {
		t.Errorf("a new tenant's default rate limit: %+v, want nil", tn.Settings.AppTokenRateLimit)
	}
	tn.Settings.AppTokenRateLimit = q
	must(t, "replace tenant", e.st.Tenants().Replace(e.ctx, tn))
	if tn, _ := e.st.Tenants().FindByID(e.ctx, tid); tn.Settings.AppTokenRateLimit == nil || *tn.Settings.AppTokenRateLimit != *q {
		t.Errorf("stored default %+v, want %+v", tn.Settings.AppTokenRateLimit, q)
	}
	other := e.newTenant(t, "rl-other")
	if other.Settings.AppTokenRateLimit != nil {
		t.Errorf("another tenant's default: %+v", other.Settings.AppTokenRateLimit)
	}

	// Chunk claims: one instance wins each.
	c := admin.RateClaims{Claims: e.st.Claims()}
	end := now.Add(time.Minute)
	must(t, "claim", c.Claim(e.ctx, tid, "rate|x|60|100|1|0", end))
	wantCode(t, "a claimed chunk", c.Claim(e.ctx, tid, "rate|x|60|100|1|0", end), "conflict")
	must(t, "next chunk", c.Claim(e.ctx, tid, "rate|x|60|100|1|1", end))
	must(t, "another tenant's chunk", c.Claim(e.ctx, other.ID, "rate|x|60|100|1|0", end))
}
