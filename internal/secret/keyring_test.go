package secret_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func keyring(t testing.TB, current secret.KeyID, keys map[secret.KeyID][]byte) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// split decodes a token string into its head and raw body, as anyone can:
// the format and the CRC are public.
func split(t *testing.T, s string) (head string, raw []byte) {
	t.Helper()
	raw, err := b32.DecodeString(s[13:])
	if err != nil || len(raw) != 65 {
		t.Fatalf("decode %q: %v (%d bytes)", s, err, len(raw))
	}
	return s[:13], raw
}

// join re-encodes head and raw with a CRC-32 that is right for them.
func join(head string, raw []byte) string {
	binary.BigEndian.PutUint32(raw[61:], crc32.ChecksumIEEE(append([]byte(head), raw[:61]...)))
	return head + b32.EncodeToString(raw)
}

// The tag is HMAC-SHA256 (first 16 bytes) under the key its id names, over
// the head, the record id, the random part and the key id.
func TestTagIsHMACSHA256(t *testing.T) {
	for _, size := range []int{32, 64, 100} { // short, one block, hashed first
		key := make([]byte, size)
		_, _ = rand.Read(key)
		k := keyring(t, 7, map[secret.KeyID][]byte{7: key})
		s := k.NewToken(secret.User, tenant, ids.New())
		head, raw := split(t, s)
		if raw[44] != 7 {
			t.Errorf("got key id %d in the string, want 7", raw[44])
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(head))
		mac.Write(raw[:45])
		if want := mac.Sum(nil)[:16]; !bytes.Equal(raw[45:61], want) {
			t.Errorf("%d-byte key: got tag %x, want HMAC-SHA256 %x", size, raw[45:61], want)
		}
	}
}

// A string with the right prefix, tenant id, length and a valid public
// checksum is still refused when its tag was not made with the key: a
// forger who knows the format gets nothing past Parse, so no store read.
func TestParseRefusesForgedStrings(t *testing.T) {
	k := keyring(t, 1, map[secret.KeyID][]byte{1: secret.NewKey()})
	real := k.NewToken(secret.User, tenant, ids.New())
	if _, ok := k.Parse(real); !ok {
		t.Fatal("a real token is refused")
	}
	head, raw := split(t, real)
	forgeries := map[string]func(raw []byte){
		"random body":        func(raw []byte) { _, _ = rand.Read(raw[:61]); raw[44] = 1 },
		"another record id":  func(raw []byte) { raw[0] ^= 1 },
		"another random bit": func(raw []byte) { raw[20] ^= 0x80 },
		"another tag":        func(raw []byte) { raw[50] ^= 1 },
		"zero tag":           func(raw []byte) { clear(raw[45:61]) },
		"unknown key id":     func(raw []byte) { raw[44] = 2 },
	}
	for name, forge := range forgeries {
		f := bytes.Clone(raw)
		forge(f)
		s := join(head, f)
		if len(s) != len(real) {
			t.Fatalf("%s: got length %d, want %d", name, len(s), len(real))
		}
		if _, ok := k.Parse(s); ok {
			t.Errorf("%s: Parse accepted a forged string with a valid checksum", name)
		}
	}
	// The tag covers the head too: the same body under another tenant or
	// kind, with its checksum made right, is refused.
	for _, h := range []string{"lku_zzzzzzzz_", "lkr_" + tenant + "_"} {
		if _, ok := k.Parse(join(h, bytes.Clone(raw))); ok {
			t.Errorf("Parse accepted the body of a real token under the head %s", h)
		}
	}
	// And one made with another installation's key is refused.
	other := keyring(t, 1, map[secret.KeyID][]byte{1: secret.NewKey()})
	if _, ok := k.Parse(other.NewToken(secret.User, tenant, ids.New())); ok {
		t.Error("Parse accepted a token of another installation")
	}
}

// Keys rotate: a keyring whose current key is new and which still holds
// the previous one makes tokens under the new key and parses both; once
// the old key is dropped, its tokens are refused.
func TestKeyRotation(t *testing.T) {
	k1, k2 := secret.NewKey(), secret.NewKey()
	before := keyring(t, 1, map[secret.KeyID][]byte{1: k1})
	old := before.NewToken(secret.App, tenant, ids.New())

	rotated := keyring(t, 2, map[secret.KeyID][]byte{1: k1, 2: k2})
	if _, ok := rotated.Parse(old); !ok {
		t.Error("after rotation, a token of the previous key is refused")
	}
	fresh := rotated.NewToken(secret.App, tenant, ids.New())
	if _, raw := split(t, fresh); raw[44] != 2 {
		t.Errorf("got key id %d, want the current key 2", raw[44])
	}
	if _, ok := rotated.Parse(fresh); !ok {
		t.Error("a token of the current key is refused")
	}
	if _, ok := before.Parse(fresh); ok {
		t.Error("a keyring without key 2 accepted a token made with it")
	}
	retired := keyring(t, 2, map[secret.KeyID][]byte{2: k2})
	if _, ok := retired.Parse(old); ok {
		t.Error("a token of a retired key is accepted")
	}
	if rotated.Current() != 2 || fmt.Sprint(rotated.IDs()) != "[1 2]" {
		t.Errorf("got current %d ids %v, want 2 and [1 2]", rotated.Current(), rotated.IDs())
	}
}

func TestParseRefChecksTheTag(t *testing.T) {
	k := keyring(t, 1, map[secret.KeyID][]byte{1: secret.NewKey()})
	other := keyring(t, 1, map[secret.KeyID][]byte{1: secret.NewKey()})
	_, err := k.ParseRef(other.NewToken(secret.App, tenant, ids.New()), secret.App, tenant, "token")
	if !errs.Is(err, errs.NotFound) {
		t.Errorf("a token of another key: got %v, want NotFound", err)
	}
	s := k.NewToken(secret.App, tenant, ids.New())
	if ref, err := k.ParseRef(s, secret.App, tenant, "token"); err != nil || ref.Hash != secret.Hash(s) {
		t.Errorf("got %v %v, want the ref of the string", ref, err)
	}
}

func TestParseKeys(t *testing.T) {
	key := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'k'}, n)) }
	k, err := secret.ParseKeys([]string{"3:" + key(32), "1:" + strings.TrimRight(key(40), "=")})
	if err != nil {
		t.Fatal(err)
	}
	if k.Current() != 3 || fmt.Sprint(k.IDs()) != "[1 3]" {
		t.Errorf("got current %d ids %v, want 3 and [1 3]", k.Current(), k.IDs())
	}
	for _, bad := range [][]string{
		nil,
		{key(32)},                          // no id
		{"0:" + key(32)},                   // id 0
		{"256:" + key(32)},                 // id too large
		{"1:" + key(31)},                   // too short
		{"1:" + key(32), "1:" + key(32)},   // id twice
		{"1:" + key(32), "2:not base64!!"}, // not base64
	} {
		_, err := secret.ParseKeys(bad)
		if err == nil {
			t.Errorf("%q: accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "a2tr") { // base64 of "kkk"
			t.Errorf("%q: the error quotes the key: %v", bad, err)
		}
	}
	if s := fmt.Sprintf("%v %s %#v", k, k, k); strings.Contains(s, "a2tr") || strings.Contains(s, "kkk") {
		t.Errorf("the keyring prints its keys: %s", s)
	}
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		current secret.KeyID
		keys    map[secret.KeyID][]byte
	}{
		"short key":       {1, map[secret.KeyID][]byte{1: make([]byte, 31)}},
		"current missing": {2, map[secret.KeyID][]byte{1: secret.NewKey()}},
		"id 0":            {0, map[secret.KeyID][]byte{0: secret.NewKey()}},
	} {
		if _, err := secret.NewKeyring(tc.current, tc.keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Parsing runs on every request: it allocates nothing, refusing or not.
func TestParseAllocatesNothing(t *testing.T) {
	k := keyring(t, 1, map[secret.KeyID][]byte{1: secret.NewKey()})
	s := k.NewToken(secret.User, tenant, ids.New())
	forged := s[:40] + flip(s[40]) + s[41:]
	if n := testing.AllocsPerRun(100, func() {
		_, _ = k.Parse(s)
		_, _ = k.Parse(forged)
	}); n != 0 {
		t.Errorf("got %v allocations per parse, want 0", n)
	}
}
