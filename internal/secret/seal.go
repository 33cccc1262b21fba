package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Seal encrypts plain for storage under a key derived from the keyring's
// current key and purpose (AES-256-GCM, the key HMAC-SHA256(tag key,
// "latchkey seal "+purpose)), for a secret the server must read back in
// clear (a webhook's signing secret). The result names the key it was
// sealed with, so Open still reads it after a rotation while the key stays
// in the keyring: "<key id>.<base64 of nonce and ciphertext>".
func (k *Keyring) Seal(purpose string, plain []byte) string {
	aead := k.aead(k.current, purpose)
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(purpose))
	return strconv.Itoa(int(k.current)) + "." + base64.RawStdEncoding.EncodeToString(sealed)
}

// errUnsealable is every failure of Open: it says nothing of the key.
var errUnsealable = errors.New("secret: sealed value unreadable (unknown key, or altered)")

// Open reads what Seal made for purpose.
func (k *Keyring) Open(purpose, sealed string) ([]byte, error) {
	idText, b64, ok := strings.Cut(sealed, ".")
	id, err := strconv.Atoi(idText)
	if !ok || err != nil || id < 1 || id > 255 || k.keys[id] == nil {
		return nil, errUnsealable
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	aead := k.aead(KeyID(id), purpose)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, errUnsealable
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, errUnsealable
	}
	return plain, nil
}

// aead is the cipher of key id for purpose.
func (k *Keyring) aead(id KeyID, purpose string) cipher.AEAD {
	t := k.keys[id]
	inner := sha256.New()
	inner.Write(t.ipad[:])
	inner.Write([]byte("latchkey seal " + purpose))
	outer := sha256.New()
	outer.Write(t.opad[:])
	outer.Write(inner.Sum(nil))
	block, err := aes.NewCipher(outer.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}
