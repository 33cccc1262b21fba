package secret_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// Benchmarks of the per-request token work (parse and hash on every
// verification; generation on every login) and of password hashing with
// the default argon2id parameters (19 MiB, t=2, p=1), which bounds logins
// per second per core. docs/PERFORMANCE.md quotes them.

var sink any

func BenchmarkNewToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = testKeys.NewToken(secret.User, "abcdefgh", ids.New())
	}
}

func BenchmarkParseToken(b *testing.B) {
	tok := testKeys.NewToken(secret.User, "abcdefgh", ids.New())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := testKeys.Parse(tok); !ok {
			b.Fatal("valid token refused")
		}
	}
}

// BenchmarkParseForged is the cost of refusing a made-up token of the
// right shape: the checksum fails before any store lookup.
func BenchmarkParseForged(b *testing.B) {
	tok := []byte(testKeys.NewToken(secret.User, "abcdefgh", ids.New()))
	// Another letter of the alphabet: it decodes, the checksum fails.
	if tok[30] == 'a' {
		tok[30] = 'b'
	} else {
		tok[30] = 'a'
	}
	forged := string(tok)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := testKeys.Parse(forged); ok {
			b.Fatal("forged token accepted")
		}
	}
}

// BenchmarkParseForgedTag refuses a made-up token whose public checksum
// is right (made under another installation's key): the tag fails, still
// before any store lookup. Its cost is that of parsing a real token.
func BenchmarkParseForgedTag(b *testing.B) {
	other, err := secret.NewKeyring(1, map[secret.KeyID][]byte{1: secret.NewKey()})
	if err != nil {
		b.Fatal(err)
	}
	forged := other.NewToken(secret.User, "abcdefgh", ids.New())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := testKeys.Parse(forged); ok {
			b.Fatal("forged token accepted")
		}
	}
}

func BenchmarkHash(b *testing.B) {
	tok := testKeys.NewToken(secret.User, "abcdefgh", ids.New())
	b.ReportAllocs()
	for b.Loop() {
		sink = secret.Hash(tok)
	}
}

func BenchmarkHashPasswordDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = secret.DefaultArgon2.HashPassword("correct horse battery staple")
	}
}

// BenchmarkCheckPasswordDefault is the work of one login: its ns/op is the
// inverse of logins per second on one core.
func BenchmarkCheckPasswordDefault(b *testing.B) {
	h := secret.DefaultArgon2.HashPassword("correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := secret.CheckPassword(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatalf("got %v, %v", ok, err)
		}
	}
}
