package secret

import "testing"

// A sealed value opens with the keyring that sealed it, for its purpose
// only, after a rotation too, and not once altered or under other keys.
func TestSealOpen(t *testing.T) {
	k1 := NewRandomKeyring()
	s := k1.Seal("webhook", []byte("whsec_abc"))
	if got, err := k1.Open("webhook", s); err != nil || string(got) != "whsec_abc" {
		t.Fatalf("open: got %q, %v", got, err)
	}
	if _, err := k1.Open("other", s); err == nil {
		t.Error("opened under another purpose")
	}
	if _, err := NewRandomKeyring().Open("webhook", s); err == nil {
		t.Error("opened under another key")
	}
	b := []byte(s)
	b[len(b)-2] ^= 1
	if _, err := k1.Open("webhook", string(b)); err == nil {
		t.Error("opened an altered value")
	}
}
