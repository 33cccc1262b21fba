// Package secret generates, parses and hashes Latchkey's token strings and
// hashes passwords. Nothing here stores or logs a secret.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"

	"github.com/latchkey/latchkey/internal/ids"
)

// Kind is the kind of secret a token string is; its prefix says it, so secret
// scanners can recognise a leaked Latchkey token.
type Kind string

// The token kinds and their prefixes.
const (
	App     Kind = "lka" // app token
	User    Kind = "lku" // user token (login, personal, obo)
	Refresh Kind = "lkr" // refresh token
)

// TenantIDLen is the length of a tenant id: 8 characters of lowercase base32.
const TenantIDLen = 8

const (
	idBytes     = 12                                 // the token's public id (an ObjectID)
	randomBytes = 32                                 // 256 bits from crypto/rand
	keyIDBytes  = 1                                  // the id of the key the tag was made with
	tagBytes    = 16                                 // HMAC-SHA256 truncated to 128 bits
	crcBytes    = 4                                  // CRC-32, public
	tagged      = idBytes + randomBytes + keyIDBytes // what the tag covers, after the head
	rawLen      = tagged + tagBytes + crcBytes
	bodyLen     = (rawLen*8 + 4) / 5 // 104 base32 characters
	headLen     = 3 + 1 + TenantIDLen + 1
	// TokenLen is the length of every token string.
	TokenLen = headLen + bodyLen
)

const alphabet = "abcdefghijklmnopqrstuvwxyz234567"

var b32 = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// b32value maps a character to its 5-bit value, or 0xff if it is not in the
// alphabet.
var b32value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// Token is a parsed token string.
type Token struct {
	Kind     Kind
	TenantID string
	// ID is the public id of the stored record the token belongs to (for a
	// refresh token, the record of its user token).
	ID ids.ID
}

// NewToken returns a new token string of kind for tenant, naming the record
// id, carrying 256 bits from crypto/rand and tagged with k's current key.
// Its format is
//
//	<kind>_<tenant id>_<104 characters of base32: id, 32 random bytes, key id, tag, CRC-32>
//
// for example lku_k3v7x2ab_… . The tenant id routes a request to its
// database; the record id lets the store find the record by _id, and the
// stored SHA-256 of the whole string is then compared in constant time (a
// selector and a verifier in one string). The tag is the HMAC-SHA256 (first
// 16 bytes) of everything before it under the installation's key named by
// the key id, so a string this installation did not make is refused by
// Parse without a store read, even with a valid checksum. The CRC-32 over
// everything before it is public: a secret scanner can tell a real-looking
// Latchkey token from a typo without the key.
func (k *Keyring) NewToken(kind Kind, tenantID string, id ids.ID) string {
	var raw [rawLen]byte
	copy(raw[:], id[:])
	if _, err := rand.Read(raw[idBytes : idBytes+randomBytes]); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	head := string(kind) + "_" + tenantID + "_"
	raw[idBytes+randomBytes] = byte(k.current)
	tag := k.keys[k.current].tag(head, raw[:tagged])
	copy(raw[tagged:], tag[:tagBytes])
	sum := crcIEEE(crcIEEE(0, head), raw[:rawLen-crcBytes])
	binary.BigEndian.PutUint32(raw[rawLen-crcBytes:], sum)
	return head + b32.EncodeToString(raw[:])
}

// Parse checks s and returns its kind, tenant and record id. It reports
// false for anything k's keys did not make: a wrong shape, prefix, tenant
// id or checksum, an unknown key id, or a tag that does not verify. It
// runs on every authenticated request (twice), so it allocates nothing.
func (k *Keyring) Parse(s string) (Token, bool) {
	if len(s) != TokenLen || s[3] != '_' || s[headLen-1] != '_' {
		return Token{}, false
	}
	kind := Kind(s[:3])
	if kind != App && kind != User && kind != Refresh {
		return Token{}, false
	}
	tenant := s[4 : headLen-1]
	if !ValidTenantID(tenant) {
		return Token{}, false
	}
	var raw [rawLen]byte
	if !decodeBody(s[headLen:], &raw) {
		return Token{}, false
	}
	sum := crcIEEE(crcIEEE(0, s[:headLen]), raw[:rawLen-crcBytes])
	if binary.BigEndian.Uint32(raw[rawLen-crcBytes:]) != sum {
		return Token{}, false
	}
	key := k.keys[raw[idBytes+randomBytes]]
	if key == nil {
		return Token{}, false
	}
	tag := key.tag(s[:headLen], raw[:tagged])
	if subtle.ConstantTimeCompare(tag[:tagBytes], raw[tagged:tagged+tagBytes]) != 1 {
		return Token{}, false
	}
	t := Token{Kind: kind, TenantID: tenant}
	copy(t.ID[:], raw[:idBytes])
	return t, true
}

// decodeBody decodes the 104 base32 characters of a token body into raw. It
// refuses characters outside the alphabet and a last character whose
// padding bit is not zero: the decoder of encoding/base32 ignores that bit,
// which would let two spellings of every token through.
func decodeBody(body string, raw *[rawLen]byte) bool {
	if len(body) != bodyLen {
		return false
	}
	var acc uint32 // pending bits, at most 12
	bits, n := 0, 0
	for i := range len(body) {
		v := b32value[body[i]]
		if v == 0xff {
			return false
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw[n] = byte(acc >> bits)
			n++
			acc &= 1<<bits - 1
		}
	}
	return n == len(raw) && acc == 0
}

// crcIEEE continues the CRC-32 (IEEE) crc over p, as crc32.Update does;
// unlike crc32's functions it leaves p on the stack (they pass it through a
// function variable, which moves the caller's buffer to the heap).
func crcIEEE[T string | []byte](crc uint32, p T) uint32 {
	crc = ^crc
	for i := 0; i < len(p); i++ {
		crc = crc32.IEEETable[byte(crc)^p[i]] ^ crc>>8
	}
	return ^crc
}

// LooksLikeToken reports whether s is shaped like a token string of any kind
// (its prefix), so a caller can tell a pasted token from a malformed id.
func LooksLikeToken(s string) bool {
	return len(s) > 4 && s[3] == '_' && strings.HasPrefix(s, "lk")
}

// Hash returns the hex SHA-256 of a token string: the only form in which a
// token is stored. Tokens carry 256 random bits, so a plain hash is enough;
// a slow hash would only slow every request down.
func Hash(token string) string {
	var buf [128]byte // token strings are 117 bytes: hashed without a heap copy
	sum := sha256.Sum256(append(buf[:0], token...))
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// NewTenantID returns a random tenant id: 8 lowercase base32 characters (40 bits).
func NewTenantID() string {
	buf := make([]byte, 5)
	if _, err := rand.Read(buf); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return b32.EncodeToString(buf)
}

// ValidTenantID reports whether s has the shape of a tenant id.
func ValidTenantID(s string) bool {
	if len(s) != TenantIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// NewPassword returns a random password of 24 base32 characters (120 bits),
// for the bootstrap owner when none is configured.
func NewPassword() string {
	buf := make([]byte, 15)
	if _, err := rand.Read(buf); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return b32.EncodeToString(buf)
}

// HintLen is how many of a token string's last characters its hint shows.
const HintLen = 4

// Last returns the last HintLen characters of a token string, kept with
// its record for the hint. They are part of the public CRC-32 of the
// string (20 of its 32 bits): they tell nothing of the random part or the
// tag that a guesser could use.
func Last(raw string) string {
	if len(raw) < HintLen {
		return ""
	}
	return raw[len(raw)-HintLen:]
}

// Hint is the non-secret hint of a token string lists show:
// kind, tenant id and last characters, lka_k3v7x2ab_…wxyz. A record made
// before hints were kept has no last characters: its hint ends in "…".
func Hint(kind Kind, tenantID, last string) string {
	return string(kind) + "_" + tenantID + "_…" + last
}
