package main

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/usertokens"
)

// insertTokens writes n personal tokens of user into a tenant's tokens
// collection in bulk, as usertokens.Token documents (the same shape the
// service writes), valid for a day, and returns their secrets.
func insertTokens(ctx context.Context, db *mongo.Database, tenantID, user string, n int) ([]string, error) {
	uid, err := ids.Parse(user)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(time.Now())
	secrets := make([]string, n)
	docs := make([]any, 0, 1000)
	flush := func() error {
		if len(docs) == 0 {
			return nil
		}
		_, err := db.Collection(usertokens.Collection).InsertMany(ctx, docs)
		docs = docs[:0]
		if err != nil {
			return fmt.Errorf("insert tokens: %w", err)
		}
		return nil
	}
	for i := range n {
		id := ids.New()
		secrets[i] = secret.NewToken(secret.User, tenantID, id)
		docs = append(docs, &usertokens.Token{ID: id, Hash: secret.Hash(secrets[i]), Kind: usertokens.Personal,
			UserID: uid, AppTokenID: ids.New(), Created: now, Expires: now.Add(24 * time.Hour)})
		if len(docs) == cap(docs) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return secrets, flush()
}
