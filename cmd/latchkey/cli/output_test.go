package cli

import (
	"bytes"
	"testing"
)

// TestEscaperHoldsASplitCharacter: a character written in pieces (as a
// buffered writer may) is escaped whole, and one left incomplete at the
// end comes out as escaped bytes.
func TestEscaperHoldsASplitCharacter(t *testing.T) {
	for _, json := range []bool{false, true} {
		var out bytes.Buffer
		e := &escaper{w: &out, json: &json}
		for _, b := range []byte("a\u202eb\U000e0041é\n\t\xe2\x80") {
			if _, err := e.Write([]byte{b}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		want := `a\u202eb\U000e0041é` + "\n\t" + `\xe2\x80`
		if json {
			want = `a\u202eb\udb40\udc41é` + "\n\t" + `\ufffd\ufffd`
		}
		if got := out.String(); got != want {
			t.Errorf("json %v: got %q, want %q", json, got, want)
		}
	}
}
