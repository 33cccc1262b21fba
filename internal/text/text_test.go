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
		{"alice@example.com", true},
		{"a\u00a0b", true}, // NO-BREAK SPACE is a space (Zs), not a format character
		{"😀", true},
		{"", true},
		{"tab\there", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"esc\x1b[2J", false}, // ESCAPE: a terminal's escape sequences
		{"bel\a", false},
		{"del\x7f", false},
		{"c1\u0085", false},
		{"csi\u009b", false},
		{"admin\u202enimda", false}, // RIGHT-TO-LEFT OVERRIDE
		{"a\u202ab", false},
		{"a\u2066b", false},                  // LEFT-TO-RIGHT ISOLATE
		{"a\u2069b", false},                  // POP DIRECTIONAL ISOLATE
		{"a\u200fb", false},                  // RIGHT-TO-LEFT MARK
		{"a\u061cb", false},                  // ARABIC LETTER MARK
		{"ad\u200bmin", false},               // ZERO WIDTH SPACE
		{"a\u200db", false},                  // ZERO WIDTH JOINER
		{"\ufeffadmin", false},               // ZERO WIDTH NO-BREAK SPACE (byte order mark)
		{"a\u00adb", false},                  // SOFT HYPHEN
		{"line\u2028sep", false},             // LINE SEPARATOR
		{"para\u2029sep", false},             // PARAGRAPH SEPARATOR
		{"admin\U000e0001\U000e0041", false}, // LANGUAGE TAG, TAG LATIN CAPITAL LETTER A
		{"a\U000e007fb", false},              // CANCEL TAG
		{"a\ue000b", false},                  // private use
		{"a\U000f0000b", false},              // supplementary private use
		{"a\u0378b", false},                  // unassigned
		{"a\ufffeb", false},                  // noncharacter
		{"a\U0010ffffb", false},              // noncharacter, the last code point
		{"bad\xffutf8", false},
		{"\xed\xa0\x80", false}, // a surrogate in UTF-8 form is invalid UTF-8
	}
	for _, tc := range cases {
		if got := text.Safe(tc.s); got != tc.safe {
			t.Errorf("Safe(%+q) = %v, want %v", tc.s, got, tc.safe)
		}
	}
}

// Refused covers controls (Cc), format characters (Cf), private use (Co),
// surrogates (Cs), line and paragraph separators (Zl, Zp) and every
// unassigned code point (in no category at all), and nothing else; every
// Bidi_Control character is among them.
func TestRefusedCoversTheCategories(t *testing.T) {
	named := []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		unassigned := !unicode.In(r, named...)
		want := unassigned || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp)
		if got := text.Refused(r); got != want {
			t.Errorf("Refused(%U) = %v, want %v", r, got, want)
		}
		if unicode.Is(unicode.Bidi_Control, r) && !text.Refused(r) {
			t.Errorf("Refused(%U) = false for a Bidi_Control character", r)
		}
	}
	for _, r := range []rune{-1, unicode.MaxRune + 1} {
		if !text.Refused(r) {
			t.Errorf("Refused(%d) = false for no code point", r)
		}
	}
}
