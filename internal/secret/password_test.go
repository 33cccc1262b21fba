package secret_test

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/latchkey/latchkey/internal/secret"
)

var cheap = secret.Argon2{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestDefaultArgon2IsOWASPMinimum(t *testing.T) {
	if got, want := secret.DefaultArgon2, (secret.Argon2{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	h := secret.DefaultArgon2.HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("got %q, want the PHC prefix $argon2id$v=19$m=19456,t=2,p=1$", h)
	}
	if ok, err := secret.CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Errorf("CheckPassword: got %v, %v, want true, nil", ok, err)
	}
}

func TestPasswordRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse", "ünïcødé пароль", strings.Repeat("x", 256), ""} {
		h := cheap.HashPassword(pw)
		if strings.Contains(h, pw) && pw != "" {
			t.Errorf("the hash %q contains the password", h)
		}
		ok, err := secret.CheckPassword(h, pw)
		if err != nil || !ok {
			t.Errorf("CheckPassword(hash of %q): got %v, %v, want true, nil", pw, ok, err)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	h := cheap.HashPassword("correct horse")
	for _, pw := range []string{"correct horsE", "correct hors", "correct horse ", ""} {
		if ok, err := secret.CheckPassword(h, pw); ok || err != nil {
			t.Errorf("CheckPassword(%q): got %v, %v, want false, nil", pw, ok, err)
		}
	}
}

func TestHashesAreSalted(t *testing.T) {
	a, b := cheap.HashPassword("same"), cheap.HashPassword("same")
	if a == b {
		t.Errorf("two hashes of one password are equal: %s", a)
	}
}

// CheckPassword reads the parameters from the hash: a hash made with other
// parameters still checks, and recomputing it by hand with the parameters
// and salt written in it gives the same key.
func TestParametersComeFromTheHash(t *testing.T) {
	p := secret.Argon2{MemoryKiB: 128, Iterations: 3, Parallelism: 2}
	h := p.HashPassword("pw-12345")
	parts := strings.Split(h, "$")
	if len(parts) != 6 {
		t.Fatalf("got %d parts in %q, want 6", len(parts), h)
	}
	if got, want := parts[3], "m=128,t=3,p=2"; got != want {
		t.Errorf("got parameters %q, want %q", got, want)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) != 16 {
		t.Fatalf("salt: got %d bytes, %v, want 16", len(salt), err)
	}
	key, _ := base64.RawStdEncoding.DecodeString(parts[5])
	if got := argon2.IDKey([]byte("pw-12345"), salt, 3, 128, 2, 32); subtle.ConstantTimeCompare(got, key) != 1 {
		t.Errorf("recomputed key %x, want %x", got, key)
	}
	// The same salt under the default parameters gives another key, so the
	// check above depends on the parameters.
	if other := argon2.IDKey([]byte("pw-12345"), salt, 2, 19456, 1, 32); bytes.Equal(other, key) {
		t.Error("the key does not depend on the parameters")
	}
	if ok, err := secret.CheckPassword(h, "pw-12345"); !ok || err != nil {
		t.Errorf("CheckPassword: got %v, %v, want true, nil", ok, err)
	}
	// A hash written by hand with other parameters checks too.
	salt2 := []byte("0123456789abcdef")
	key2 := argon2.IDKey([]byte("hand made"), salt2, 2, 32, 1, 32)
	hand := fmt.Sprintf("$argon2id$v=19$m=32,t=2,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt2), base64.RawStdEncoding.EncodeToString(key2))
	if ok, err := secret.CheckPassword(hand, "hand made"); !ok || err != nil {
		t.Errorf("CheckPassword(hand-made hash): got %v, %v, want true, nil", ok, err)
	}
}

func TestMalformedHashes(t *testing.T) {
	good := cheap.HashPassword("pw")
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"version":      strings.Replace(good, "v=19", "v=16", 1),
		"parameters":   strings.Join([]string{"", parts[1], parts[2], "m=x,t=1,p=1", parts[4], parts[5]}, "$"),
		"salt":         strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"empty key":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$"),
		"missing part": strings.Join(parts[:5], "$"),
	} {
		if ok, err := secret.CheckPassword(h, "pw"); ok || err == nil {
			t.Errorf("%s: CheckPassword(%q): got %v, %v, want false and an error", name, h, ok, err)
		}
	}
}
