// Package secret generates, parses and hashes Latchkey's token strings and
// hashes passwords. Nothing here stores or logs a secret.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
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
	randomBytes = 32 // 256 bits from crypto/rand
	bodyLen     = 58 // base32 of 32 random bytes + 4 bytes of CRC-32
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is a parsed token string.
type Token struct {
	Kind     Kind
	TenantID string
}

// NewToken returns a new token string of kind for tenant, with 256 bits from
// crypto/rand. Its format is
//
//	<kind>_<tenant id>_<58 characters of base32: 32 random bytes and a CRC-32>
//
// for example lku_k3v7x2ab_… . The CRC-32 (over everything before it) lets
// Parse reject mistyped and made-up strings without a store lookup.
func NewToken(kind Kind, tenantID string) string {
	buf := make([]byte, randomBytes, randomBytes+4)
	if _, err := rand.Read(buf); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	head := string(kind) + "_" + tenantID + "_"
	sum := crc32.ChecksumIEEE(append([]byte(head), buf...))
	buf = binary.BigEndian.AppendUint32(buf, sum)
	return head + b32.EncodeToString(buf)
}

// ParseToken checks the format of s and returns its kind and tenant. It
// reports false for anything NewToken could not have made.
func ParseToken(s string) (Token, bool) {
	const headLen = 3 + 1 + TenantIDLen + 1
	if len(s) != headLen+bodyLen || s[3] != '_' || s[headLen-1] != '_' {
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
	raw, err := b32.DecodeString(s[headLen:])
	// The last character carries 3 bits and 2 of padding, which the decoder
	// ignores; encoding again refuses the spellings NewToken never makes.
	if err != nil || len(raw) != randomBytes+4 || b32.EncodeToString(raw) != s[headLen:] {
		return Token{}, false
	}
	sum := crc32.ChecksumIEEE(append([]byte(s[:headLen]), raw[:randomBytes]...))
	if binary.BigEndian.Uint32(raw[randomBytes:]) != sum {
		return Token{}, false
	}
	return Token{Kind: kind, TenantID: tenant}, true
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
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
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
