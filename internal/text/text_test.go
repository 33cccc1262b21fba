package text_test

import (
	"testing"
	"unicode"

	"github.com/latchkey/latchkey/internal/text"
)

func TestSafe(t *testing.T) {
	cases := []struct {
		s    string
		safe bool
	}{
		{"alice", true},
		{"Zoë O'Brien-Łukasz", true},
		{"名前 مرحبا", true}, // right-to-left letters are fine; only the formatting controls are not
		{"", true},
		{"tab\there", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"c1\u0085", false},
		{"admin\u202enimda", false}, // RIGHT-TO-LEFT OVERRIDE
		{"a\u202ab", false},
		{"a\u2066b", false}, // LEFT-TO-RIGHT ISOLATE
		{"a\u2069b", false}, // POP DIRECTIONAL ISOLATE
		{"a\u200fb", false}, // RIGHT-TO-LEFT MARK
		{"a\u061cb", false}, // ARABIC LETTER MARK
		{"bad\xffutf8", false},
	}
	for _, tc := range cases {
		if got := text.Safe(tc.s); got != tc.safe {
			t.Errorf("Safe(%q) = %v, want %v", tc.s, got, tc.safe)
		}
	}
}

// Every control character of Unicode category Cc is refused, and every
// character Unicode lists as Bidi_Control.
func TestRefusedCoversTheCategories(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r)
		if got := text.Refused(r); got != want {
			t.Errorf("Refused(%U) = %v, want %v", r, got, want)
		}
	}
}
