package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/secret"
)

// collKeys holds the installation's tag keys, in the control database.
const collKeys = "keys"

type keyStore struct{ db *DB }

// keyDoc is a stored tag key.
type keyDoc struct {
	ID      int32     `bson:"_id"`
	Secret  []byte    `bson:"secret"`
	Created time.Time `bson:"created"`
}

// Keys implements store.Store.
func (db *DB) Keys() secret.KeyStore { return keyStore{db} }

// InsertKey implements secret.KeyStore: the unique _id settles racing
// instances.
func (s keyStore) InsertKey(ctx context.Context, k secret.StoredKey) error {
	_, err := s.db.controlDB().Collection(collKeys).InsertOne(ctx, keyDoc{ID: int32(k.ID), Secret: k.Secret, Created: k.Created})
	return translate(err, nil)
}

// Keys implements secret.KeyStore.
func (s keyStore) Keys(ctx context.Context) ([]secret.StoredKey, error) {
	cur, err := s.db.controlDB().Collection(collKeys).Find(ctx, bson.D{})
	if err != nil {
		return nil, translate(err, nil)
	}
	var docs []keyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, translate(err, nil)
	}
	out := make([]secret.StoredKey, 0, len(docs))
	for _, d := range docs {
		if d.ID >= 1 && d.ID <= 255 {
			out = append(out, secret.StoredKey{ID: secret.KeyID(d.ID), Secret: d.Secret, Created: d.Created})
		}
	}
	return out, nil
}
