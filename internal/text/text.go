// Package text holds the rule every name a person gives (usernames, email
// addresses, token, app token and tenant names) must follow, and the set of
// characters the command line escapes when it prints: no control, format,
// line or paragraph separator, private-use or unassigned character. A
// control character can split a log line or drive a terminal (ESC starts
// its escape sequences); a bidirectional override makes a name read
// differently from what it is ("admin\u202Enimda" shows as "adminadmin");
// zero-width and tag characters make two names that look alike differ; a
// private-use or unassigned character has no agreed look at all. A list or
// an audit record holding any of them could lie to the person reading it.
package text

import (
	"unicode"
	"unicode/utf8"
)

// Message is what a client hears about a name that breaks the rule.
const Message = "Must not contain control, format (bidirectional, zero-width), separator, private-use or unassigned characters."

// Safe reports whether s is valid UTF-8 holding no refused character.
func Safe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if Refused(r) {
			return false
		}
	}
	return true
}

// allowed are the categories a name may hold: letters, marks, numbers,
// punctuation, symbols and space separators (Zs). Every other code point is
// refused: Cc (controls: C0, DEL, C1), Cf (format: bidirectional marks,
// embeddings, overrides and isolates, zero-width spaces and joiners, the
// byte order mark, tag characters), Co (private use), Cs (surrogates, which
// valid UTF-8 never holds), Zl and Zp (U+2028, U+2029, which end a line in
// some readers) and every unassigned code point (Cn, noncharacters
// included, by the Unicode version of Go's tables).
var allowed = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs}

// Refused reports whether r may not appear in a name (and is escaped when
// the command line prints it).
func Refused(r rune) bool {
	if r >= 0x20 && r < 0x7f {
		return false // printable ASCII, the common case
	}
	return !unicode.In(r, allowed...)
}
