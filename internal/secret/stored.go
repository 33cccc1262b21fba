package secret

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
)

// StoredKey is a tag key as the store keeps it, in the control database,
// shared by every instance of an installation.
type StoredKey struct {
	ID      KeyID
	Secret  []byte
	Created time.Time
}

// KeyStore keeps an installation's tag keys. The engines implement it.
type KeyStore interface {
	// InsertKey adds k. Errors: Conflict (its id is taken), Unavailable.
	InsertKey(ctx context.Context, k StoredKey) error
	// Keys returns every stored key. Errors: Unavailable.
	Keys(ctx context.Context) ([]StoredKey, error)
}

// LoadKeyring returns the keyring of the keys in st, the newest (highest
// id) current, after making the first key when there is none. Instances
// starting together on a new store settle the first key by its unique id:
// the loser reads the winner's. Errors: Unavailable.
func LoadKeyring(ctx context.Context, st KeyStore, now time.Time) (*Keyring, error) {
	keys, err := st.Keys(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		err := st.InsertKey(ctx, StoredKey{ID: 1, Secret: NewKey(), Created: now})
		if err != nil && !errs.Is(err, errs.Conflict) {
			return nil, err
		}
		if keys, err = st.Keys(ctx); err != nil {
			return nil, err
		}
	}
	byID := make(map[KeyID][]byte, len(keys))
	var current KeyID
	for _, k := range keys {
		byID[k.ID] = k.Secret
		current = max(current, k.ID)
	}
	return NewKeyring(current, byID)
}
