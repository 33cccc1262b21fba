package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// The helpers here write records straight into an engine through the
// domains' store interfaces, one Insert per record, as the services write
// them: a login or a user creation per record over HTTP would take hours of
// argon2id.

// insertTokens writes n personal tokens into a tenant, valid for a day,
// and returns their secrets. Token i belongs to owner(i).
func insertTokens(ctx context.Context, st usertokens.Store, keys *secret.Keyring, tenantID string, n int, owner func(i int) ids.ID) ([]string, error) {
	now := clock.Stored(time.Now())
	secrets := make([]string, n)
	for i := range n {
		id := ids.New()
		secrets[i] = keys.NewToken(secret.User, tenantID, id)
		tok := &usertokens.Token{ID: id, Hash: secret.Hash(secrets[i]), Kind: usertokens.Personal,
			UserID: owner(i), AppTokenID: ids.New(), Created: now, Expires: now.Add(24 * time.Hour)}
		if err := st.Insert(ctx, tenantID, tok); err != nil {
			return nil, fmt.Errorf("insert token: %w", err)
		}
	}
	return secrets, nil
}

// userName is the username of the i-th user insertUsers makes.
func userName(i int) string { return fmt.Sprintf("user%06d", i) }

// insertUsers writes n active members named user000000, user000001, … into
// a tenant, every one with the password hash phc, and returns their ids.
func insertUsers(ctx context.Context, st users.Store, tenantID string, n int, phc string) ([]ids.ID, error) {
	now := clock.Stored(time.Now())
	out := make([]ids.ID, n)
	for i := range n {
		name := userName(i)
		u := &users.User{ID: ids.New(), Username: name, UsernameKey: users.UsernameKey(name), Email: name + "@example.test",
			Role: access.Member, Status: users.Active, PasswordHash: phc, Created: now, Updated: now}
		if err := st.Insert(ctx, tenantID, u); err != nil {
			return nil, fmt.Errorf("insert user %s: %w", name, err)
		}
		out[i] = u.ID
	}
	return out, nil
}

// auditMix is the share (per mille) of each action in a populated audit
// log, roughly what a busy tenant writes: mostly logins and refreshes.
var auditMix = []struct {
	action, outcome string
	perMille        int
}{
	{"login", audit.Success, 450},
	{"refresh", audit.Success, 250},
	{"login", audit.Failure, 100},
	{"logout", audit.Success, 80},
	{"token.create", audit.Success, 50},
	{"token.delete", audit.Success, 30},
	{"token.expiry", audit.Success, 20},
	{"user.update", audit.Success, 10},
	{"user.create", audit.Success, 9},
	{"app_token.create", audit.Success, 1},
}

// insertAudit writes n audit records into a tenant, evenly spread over the
// span before now, oldest first (as a log is written), each by one of
// users (whose usernames are userName(i)), and returns the id of the
// middle record.
func insertAudit(ctx context.Context, st audit.Store, tenantID string, n int, span time.Duration, users []ids.ID) (ids.ID, error) {
	start := time.Now().Add(-span)
	step := span / time.Duration(max(n, 1))
	var mid ids.ID
	for i := range n {
		at := clock.Stored(start.Add(time.Duration(i) * step))
		k := rand.IntN(len(users))
		u := users[k]
		r := &audit.Record{ID: ids.NewAt(at), At: at, User: &u, Username: userName(k), Target: ids.New().Hex(),
			IP: "127.0.0.1", RequestID: fmt.Sprintf("%016x", rand.Uint64())}
		pick := rand.IntN(1000)
		for _, m := range auditMix {
			if pick < m.perMille {
				r.Action, r.Outcome = m.action, m.outcome
				break
			}
			pick -= m.perMille
		}
		if err := st.Insert(ctx, tenantID, r); err != nil {
			return ids.ID{}, fmt.Errorf("insert audit record: %w", err)
		}
		if i == n/2 {
			mid = r.ID
		}
	}
	return mid, nil
}
