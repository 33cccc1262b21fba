package secret_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// testKeys tag the token strings these tests make and parse.
var testKeys = secret.NewRandomKeyring()

const tenant = "k3v7x2ab"

func TestNewTokenRoundTrip(t *testing.T) {
	for _, kind := range []secret.Kind{secret.App, secret.User, secret.Refresh} {
		t.Run(string(kind), func(t *testing.T) {
			s := testKeys.NewToken(kind, tenant, ids.New())
			if want := string(kind) + "_" + tenant + "_"; !strings.HasPrefix(s, want) {
				t.Errorf("got %q, want prefix %q", s, want)
			}
			if len(s) != 117 || secret.TokenLen != 117 {
				t.Errorf("got length %d, want 117 (3+1+8+1+104)", len(s))
			}
			tok, ok := testKeys.Parse(s)
			if !ok {
				t.Fatalf("ParseToken(%q): got false, want true", s)
			}
			if tok.Kind != kind || tok.TenantID != tenant {
				t.Errorf("got %+v, want kind %s tenant %s", tok, kind, tenant)
			}
			if !secret.LooksLikeToken(s) {
				t.Errorf("LooksLikeToken(%q): got false, want true", s)
			}
		})
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := testKeys.NewToken(secret.User, tenant, ids.New())
		if seen[s] {
			t.Fatalf("got %q twice", s)
		}
		seen[s] = true
	}
}

// Every single-character change anywhere in a token string is refused: in
// the kind, the tenant (the checksum covers it) and the random body.
func TestParseTokenRejectsAChangedCharacter(t *testing.T) {
	s := testKeys.NewToken(secret.User, tenant, ids.New())
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			continue
		}
		for _, c := range []byte(alphabet) {
			if c == s[i] {
				continue
			}
			changed := s[:i] + string(c) + s[i+1:]
			if _, ok := testKeys.Parse(changed); ok {
				t.Fatalf("ParseToken accepted %q (position %d changed from %q)", changed, i, s)
			}
		}
	}
}

func TestParseTokenRejectsMalformed(t *testing.T) {
	good := testKeys.NewToken(secret.App, tenant, ids.New())
	for name, s := range map[string]string{
		"empty":           "",
		"unknown kind":    "lkx" + good[3:],
		"no separator":    "lka-" + good[4:],
		"short":           good[:len(good)-1],
		"long":            good + "a",
		"upper case":      strings.ToUpper(good),
		"bad tenant":      "lka_ABCDEFGH" + good[12:],
		"not base32":      good[:20] + "!" + good[21:],
		"an object id":    "64b7f0c2a1b2c3d4e5f60718",
		"jwt-like bearer": "eyJhbGciOiJIUzI1NiJ9.e30.x",
	} {
		if _, ok := testKeys.Parse(s); ok {
			t.Errorf("%s: ParseToken(%q): got true, want false", name, s)
		}
	}
}

func TestHash(t *testing.T) {
	// The SHA-256 test vector of "abc".
	if got, want := secret.Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("Hash(abc): got %s, want %s", got, want)
	}
	s := testKeys.NewToken(secret.User, tenant, ids.New())
	sum := sha256.Sum256([]byte(s))
	if got, want := secret.Hash(s), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Hash: got %s, want %s", got, want)
	}
	if strings.Contains(secret.Hash(s), s[13:]) {
		t.Error("the hash contains the token's secret part")
	}
}

func TestTenantIDs(t *testing.T) {
	for range 50 {
		if id := secret.NewTenantID(); !secret.ValidTenantID(id) {
			t.Fatalf("NewTenantID: got %q, which ValidTenantID refuses", id)
		}
	}
	for s, want := range map[string]bool{
		"abcdefgh": true, "a2345677": true, "abcdefg": false, "abcdefghi": false,
		"abcdefg1": false, "abcdefg8": false, "ABCDEFGH": false, "abcd-fgh": false,
	} {
		if got := secret.ValidTenantID(s); got != want {
			t.Errorf("ValidTenantID(%q): got %v, want %v", s, got, want)
		}
	}
}

func TestNewPassword(t *testing.T) {
	a, b := secret.NewPassword(), secret.NewPassword()
	if len(a) != 24 {
		t.Errorf("got length %d, want 24", len(a))
	}
	if a == b {
		t.Errorf("got %q twice", a)
	}
}

func TestParseRef(t *testing.T) {
	appID := ids.New()
	app := testKeys.NewToken(secret.App, tenant, appID)
	const id = "64b7f0c2a1b2c3d4e5f60718"
	cases := []struct {
		name     string
		in       string
		wantID   string // hex
		wantHash string
		wantCode errs.Code
	}{
		{name: "public id", in: id, wantID: id},
		{name: "token string", in: app, wantID: appID.Hex(), wantHash: secret.Hash(app)},
		{name: "token of another tenant", in: testKeys.NewToken(secret.App, "zzzzzzzz", ids.New()), wantCode: errs.NotFound},
		{name: "token of another kind", in: testKeys.NewToken(secret.User, tenant, ids.New()), wantCode: errs.NotFound},
		{name: "token with a bad checksum", in: app[:len(app)-1] + flip(app[len(app)-1]), wantCode: errs.NotFound},
		{name: "malformed", in: "not-an-id", wantCode: errs.Invalid},
		{name: "short hex", in: id[:23], wantCode: errs.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := testKeys.ParseRef(tc.in, secret.App, tenant, "token")
			if got := errs.CodeOf(err); got != tc.wantCode {
				t.Fatalf("got code %q, want %q (err %v)", got, tc.wantCode, err)
			}
			if err != nil {
				e, _ := errs.As(err)
				if _, ok := e.Fields["token"]; !ok {
					t.Errorf("got fields %v, want the field token", e.Fields)
				}
				if tc.wantCode == errs.Invalid && e.Fields["token"] != errs.MalformedID {
					t.Errorf("got %q, want %q", e.Fields["token"], errs.MalformedID)
				}
				return
			}
			if got := ref.ID.Hex(); got != tc.wantID {
				t.Errorf("got id %s, want %s", got, tc.wantID)
			}
			if ref.Hash != tc.wantHash {
				t.Errorf("got hash %q, want %q", ref.Hash, tc.wantHash)
			}
			if strings.Contains(ref.ID.Hex()+ref.Hash, tc.in) && tc.wantHash != "" {
				t.Errorf("the ref carries the token string")
			}
		})
	}
}

func TestParseID(t *testing.T) {
	if _, err := secret.ParseID("64b7f0c2a1b2c3d4e5f60718", "user"); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	_, err := secret.ParseID("64b7f0c2", "user")
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Fields["user"] != errs.MalformedID {
		t.Errorf("got %v, want invalid user: %s", err, errs.MalformedID)
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestRefVerifies(t *testing.T) {
	id := ids.New()
	s := testKeys.NewToken(secret.User, "abcdefgh", id)
	tok, ok := testKeys.Parse(s)
	if !ok || tok.ID != id {
		t.Fatalf("ParseToken: got %v %v, want the id %s back", tok, ok, id.Hex())
	}
	ref := secret.RefOf(tok, s)
	if ref.ID != id || !ref.Verifies(secret.Hash(s)) {
		t.Errorf("ref of the string does not verify its own hash")
	}
	if ref.Verifies(secret.Hash(testKeys.NewToken(secret.User, "abcdefgh", id))) {
		t.Errorf("ref verifies another string's hash")
	}
	if !(secret.Ref{ID: id}).Verifies("anything") {
		t.Errorf("a bare id ref must not need a hash")
	}
}
