package secret

import (
	"crypto/rand"
	"testing"
)

// TestDecodeBodyMatchesBase32 checks the hand-written decoder against
// encoding/base32 on random bodies and on every spelling of their last
// character: it decodes what base32 decodes, to the same bytes, and accepts
// only the spelling that encoding again gives back.
func TestDecodeBodyMatchesBase32(t *testing.T) {
	for range 200 {
		var want [rawLen]byte
		_, _ = rand.Read(want[:])
		body := []byte(b32.EncodeToString(want[:]))
		for _, last := range []byte(alphabet + "A8=") {
			body[len(body)-1] = last
			var got [rawLen]byte
			ok := decodeBody(string(body), &got)
			std, err := b32.DecodeString(string(body))
			stdOK := err == nil && len(std) == len(want) && b32.EncodeToString(std) == string(body)
			if ok != stdOK {
				t.Fatalf("%s: decodeBody says %v, base32 and re-encoding say %v", body, ok, stdOK)
			}
			if ok && string(got[:]) != string(std) {
				t.Fatalf("%s: decoded %x, base32 decodes %x", body, got, std)
			}
		}
	}
	var raw [rawLen]byte
	long := b32.EncodeToString(make([]byte, 40)) // longer than a body
	for _, body := range []string{"", "abc", string(make([]byte, bodyLen)), long} {
		if decodeBody(body, &raw) {
			t.Errorf("%q: accepted", body)
		}
	}
}
