package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// KeyID names a tag key. Every token string carries the id of the key its
// tag was made with, so after a rotation Parse still finds the key of an
// older token. Ids run from 1 to 255.
type KeyID uint8

// MinKeyLen is the shortest tag key accepted: 256 bits.
const MinKeyLen = 32

// Keyring holds the installation's tag keys: the current one,
// which NewToken uses, and earlier ones, which Parse still accepts, so keys
// rotate without invalidating tokens made under the previous key. Every
// instance of an installation must hold the same keys. A Keyring never
// prints its keys (String names only their ids).
type Keyring struct {
	current KeyID
	keys    [256]*tagKey
}

// NewKeyring returns a keyring whose NewToken uses keys[current]. Every key
// must be at least MinKeyLen bytes; ids run from 1 to 255.
func NewKeyring(current KeyID, keys map[KeyID][]byte) (*Keyring, error) {
	k := &Keyring{current: current}
	for id, b := range keys {
		if id == 0 {
			return nil, errors.New("secret: key id 0 is not allowed (ids run from 1 to 255)")
		}
		if len(b) < MinKeyLen {
			return nil, fmt.Errorf("secret: key %d is %d bytes, want at least %d", id, len(b), MinKeyLen)
		}
		k.keys[id] = newTagKey(b)
	}
	if current == 0 || k.keys[current] == nil {
		return nil, fmt.Errorf("secret: the current key %d is not in the keyring", current)
	}
	return k, nil
}

// ParseKeys reads the configuration form of a keyring (tokens.tag_keys):
// each item "<id>:<key in base64>", the first item being the current key.
// Errors name the item by position, never its key.
func ParseKeys(items []string) (*Keyring, error) {
	if len(items) == 0 {
		return nil, errors.New("no keys")
	}
	keys := map[KeyID][]byte{}
	var current KeyID
	for i, item := range items {
		idText, b64, ok := strings.Cut(item, ":")
		n, err := strconv.ParseUint(idText, 10, 8)
		if !ok || err != nil || n == 0 {
			return nil, fmt.Errorf("item %d: must be <id>:<base64 key> with an id from 1 to 255", i+1)
		}
		id := KeyID(n)
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("item %d: key id %d is given twice", i+1, id)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(b64)
		}
		if err != nil {
			return nil, fmt.Errorf("item %d (key id %d): the key is not base64", i+1, id)
		}
		if len(b) < MinKeyLen {
			return nil, fmt.Errorf("item %d (key id %d): the key is %d bytes, want at least %d", i+1, id, len(b), MinKeyLen)
		}
		if i == 0 {
			current = id
		}
		keys[id] = b
	}
	return NewKeyring(current, keys)
}

// NewKey returns a new random tag key of MinKeyLen bytes.
func NewKey() []byte {
	b := make([]byte, MinKeyLen)
	if _, err := rand.Read(b); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return b
}

// Current returns the id of the key NewToken uses.
func (k *Keyring) Current() KeyID { return k.current }

// IDs returns the ids of every key, ascending.
func (k *Keyring) IDs() []KeyID {
	var out []KeyID
	for id, key := range k.keys {
		if key != nil {
			out = append(out, KeyID(id))
		}
	}
	return out
}

// String names the keys by id only.
func (k *Keyring) String() string {
	ids := make([]string, 0, 4)
	for _, id := range k.IDs() {
		ids = append(ids, strconv.Itoa(int(id)))
	}
	return fmt.Sprintf("Keyring(current %d; keys %s)", k.current, strings.Join(ids, ", "))
}

// GoString is String, so %#v does not print the keys either.
func (k *Keyring) GoString() string { return k.String() }

// tagKey is an HMAC-SHA256 key as its two padded blocks (RFC 2104), so a
// tag is two SHA-256 sums over stack buffers, without an allocation.
type tagKey struct {
	ipad, opad [sha256.BlockSize]byte
}

func newTagKey(key []byte) *tagKey {
	var k0 [sha256.BlockSize]byte
	if len(key) > sha256.BlockSize {
		sum := sha256.Sum256(key)
		copy(k0[:], sum[:])
	} else {
		copy(k0[:], key)
	}
	t := &tagKey{}
	for i := range k0 {
		t.ipad[i] = k0[i] ^ 0x36
		t.opad[i] = k0[i] ^ 0x5c
	}
	return t
}

// tag returns HMAC-SHA256(key, head || body).
func (t *tagKey) tag(head string, body []byte) [sha256.Size]byte {
	var in [sha256.BlockSize + headLen + tagged]byte
	n := copy(in[:], t.ipad[:])
	n += copy(in[n:], head)
	n += copy(in[n:], body)
	inner := sha256.Sum256(in[:n])
	var out [sha256.BlockSize + sha256.Size]byte
	copy(out[:], t.opad[:])
	copy(out[sha256.BlockSize:], inner[:])
	return sha256.Sum256(out[:])
}

// NewRandomKeyring returns a keyring of one new random key with id 1: tokens
// made under it verify only where the same keyring is handed in (tests, and
// tools that mint strings nothing else should accept).
func NewRandomKeyring() *Keyring {
	k, err := NewKeyring(1, map[KeyID][]byte{1: NewKey()})
	if err != nil {
		panic(err) // a 32-byte key with id 1 is always accepted
	}
	return k
}
