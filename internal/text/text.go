// Package text holds the rule every name a person gives (usernames, token,
// app token and tenant names) must follow: no control characters and no
// bidirectional formatting characters. A control character can split a log
// line or a terminal; a bidirectional override makes a name read differently
// from what it is ("admin\u202Enimda" shows as "adminadmin"), so a list or
// an audit record could lie to the person reading it.
package text

import "unicode/utf8"

// Message is what a client hears about a name that breaks the rule.
const Message = "Must not contain control characters or bidirectional formatting characters."

// Safe reports whether s is valid UTF-8 holding no control character
// (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) and no bidirectional
// formatting character (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069).
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

// Refused reports whether r may not appear in a name.
func Refused(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true // C0 and C1 controls, DEL
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}
