package usertokens

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
)

// NamedView is a token as GET /tokens and GET /tokens/{token} show it: its
// View and the username of its issuing admin, so that a member, who may
// not read other users, sees who issued an on-behalf-of token for them.
type NamedView struct {
	View
	// ActorUsername is the issuing admin's username; nil for tokens
	// without an actor and for an actor that no longer exists.
	ActorUsername *string `json:"actor_username"`
}

// names resolves actor ids to usernames for one answer, each id once.
type names struct {
	ctx    context.Context
	s      *Service
	tenant string
	seen   map[ids.ID]*string
}

// actorNames returns the resolver of tenant's actor names for one answer.
// A page of tokens costs at most one user read per distinct actor on it.
func (s *Service) actorNames(ctx context.Context, tenantID string) *names {
	return &names{ctx: ctx, s: s, tenant: tenantID, seen: map[ids.ID]*string{}}
}

func (n *names) view(t *Token, now time.Time) NamedView {
	v := NamedView{View: ViewOf(n.tenant, t, now)}
	if t.ActorID == nil {
		return v
	}
	name, ok := n.seen[*t.ActorID]
	if !ok {
		// A read that fails (a deleted actor, a store fault) leaves the
		// name out; the id stays in actor.
		if u, err := n.s.Users.Get(n.ctx, n.tenant, *t.ActorID); err == nil {
			name = &u.Username
		}
		n.seen[*t.ActorID] = name
	}
	v.ActorUsername = name
	return v
}
