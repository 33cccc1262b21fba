// Package prefer reads the Prefer request header (RFC 7240). It imports
// nothing but the standard library, so that verify/verifytest, a public
// package, answers Prefer exactly as Latchkey's /verify does without
// bringing Latchkey's HTTP stack to its users.
package prefer

import "strings"

// ReturnMinimal reports whether the Prefer header values ask for
// return=minimal: the answer's headers without its body. Preferences are
// comma-separated, may carry parameters after ";", and are matched without
// regard to case or spaces around "=".
func ReturnMinimal(values []string) bool {
	for _, h := range values {
		for pref := range strings.SplitSeq(h, ",") {
			token, _, _ := strings.Cut(pref, ";")
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(token), " ", ""), "return=minimal") {
				return true
			}
		}
	}
	return false
}
