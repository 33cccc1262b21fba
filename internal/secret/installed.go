package secret

import (
	"sync/atomic"

	"github.com/latchkey/latchkey/internal/ids"
)

// The process's keyring serves the package-level NewToken, ParseToken and
// ParseRef, for code that is not handed a *Keyring. It starts as a keyring
// of one random key, made when the process starts: tokens made under it work
// in this process only. `latchkey serve` installs the configured keys
// (tokens.tag_keys) before it opens the store, so every instance of an
// installation shares them.
var installed atomic.Pointer[Keyring]

func init() { installed.Store(NewProcessKeyring()) }

// NewProcessKeyring returns a keyring of one new random key with id 1.
func NewProcessKeyring() *Keyring {
	k, err := NewKeyring(1, map[KeyID][]byte{1: NewKey()})
	if err != nil {
		panic(err) // a 32-byte key with id 1 is always accepted
	}
	return k
}

// Install makes k the process's keyring.
func Install(k *Keyring) { installed.Store(k) }

// Installed returns the process's keyring.
func Installed() *Keyring { return installed.Load() }

// NewToken is Installed().NewToken.
func NewToken(kind Kind, tenantID string, id ids.ID) string {
	return Installed().NewToken(kind, tenantID, id)
}

// ParseToken is Installed().Parse.
func ParseToken(s string) (Token, bool) { return Installed().Parse(s) }

// ParseRef is Installed().ParseRef.
func ParseRef(s string, kind Kind, tenantID, field string) (Ref, error) {
	return Installed().ParseRef(s, kind, tenantID, field)
}
