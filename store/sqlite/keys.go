package sqlite

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/secret"
)

// The control file's tag keys; ids are kept as text (the table allows
// other installation secrets later).
const (
	qKeyInsert = `INSERT INTO keys (id, secret, created) VALUES (?, ?, ?)`
	qKeys      = `SELECT id, secret, created FROM keys`
)

type keyStore struct{ db *DB }

// Keys implements store.Store.
func (db *DB) Keys() secret.KeyStore { return keyStore{db} }

// InsertKey implements secret.KeyStore.
func (s keyStore) InsertKey(ctx context.Context, k secret.StoredKey) error {
	return s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		_, err := f.exec(ctx, qKeyInsert, "tag:"+strconv.Itoa(int(k.ID)), k.Secret, k.Created.UnixMilli())
		return s.db.fail("insert key", err, nil)
	})
}

// Keys implements secret.KeyStore.
func (s keyStore) Keys(ctx context.Context) ([]secret.StoredKey, error) {
	var out []secret.StoredKey
	err := s.db.inControl(ctx, func(ctx context.Context, f *file) error {
		rows, err := f.query(ctx, qKeys) // a handful of rows: the table does not grow with use
		if err != nil {
			return s.db.fail("read keys", err, nil)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var k secret.StoredKey
			var created int64
			if err := rows.Scan(&id, &k.Secret, &created); err != nil {
				return s.db.fail("read keys", err, nil)
			}
			n, ok := strings.CutPrefix(id, "tag:")
			v, err := strconv.Atoi(n)
			if !ok || err != nil || v < 1 || v > 255 {
				continue // not a tag key
			}
			k.ID, k.Created = secret.KeyID(v), time.UnixMilli(created).UTC()
			out = append(out, k)
		}
		return s.db.fail("read keys", rows.Err(), nil)
	})
	return out, err
}
