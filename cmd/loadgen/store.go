package main

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/usertokens"
)

// insertTokens writes n personal tokens of user into a tenant through the
// engine's store (the records the service writes), valid for a day, and
// returns their secrets.
func insertTokens(ctx context.Context, st usertokens.Store, tenantID, user string, n int) ([]string, error) {
	uid, err := ids.Parse(user)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(time.Now())
	secrets := make([]string, n)
	for i := range n {
		id := ids.New()
		secrets[i] = secret.NewToken(secret.User, tenantID, id)
		tok := &usertokens.Token{ID: id, Hash: secret.Hash(secrets[i]), Kind: usertokens.Personal,
			UserID: uid, AppTokenID: ids.New(), Created: now, Expires: now.Add(24 * time.Hour)}
		if err := st.Insert(ctx, tenantID, tok); err != nil {
			return nil, fmt.Errorf("insert token: %w", err)
		}
	}
	return secrets, nil
}
