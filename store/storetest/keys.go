package storetest

import (
	"bytes"
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// The installation's tag keys: the first LoadKeyring makes key 1, later
// ones (another instance, a restart) read the same key, so a token made
// under one verifies under the other; a taken key id is a conflict.
func testKeys(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ks := e.st.Keys()
	first, err := secret.LoadKeyring(e.ctx, ks, e.now())
	must(t, "first load", err)
	again, err := secret.LoadKeyring(e.ctx, ks, e.now())
	must(t, "second load", err)
	tok := first.NewToken(secret.User, e.tenant.ID, ids.New())
	if _, ok := again.Parse(tok); !ok {
		t.Errorf("a token of the first load does not parse under the second: the keys differ")
	}
	stored, err := ks.Keys(e.ctx)
	must(t, "keys", err)
	if len(stored) != 1 || stored[0].ID != 1 || len(stored[0].Secret) < secret.MinKeyLen {
		t.Fatalf("got keys %d, want one key with id 1", len(stored))
	}
	wantCode(t, "a taken key id", ks.InsertKey(e.ctx, secret.StoredKey{ID: 1, Secret: secret.NewKey(), Created: e.now()}), "conflict")
	// A rotation: key 2 becomes current, key 1 still verifies.
	must(t, "insert key 2", ks.InsertKey(e.ctx, secret.StoredKey{ID: 2, Secret: secret.NewKey(), Created: e.now()}))
	rotated, err := secret.LoadKeyring(e.ctx, ks, e.now())
	must(t, "load after rotation", err)
	if rotated.Current() != 2 {
		t.Errorf("current key after the rotation: got %d, want 2", rotated.Current())
	}
	if _, ok := rotated.Parse(tok); !ok {
		t.Errorf("a token of key 1 no longer parses after the rotation")
	}
	back, _ := ks.Keys(e.ctx)
	for _, k := range back {
		if k.ID == 1 && !bytes.Equal(k.Secret, stored[0].Secret) {
			t.Errorf("key 1 changed")
		}
	}
}
