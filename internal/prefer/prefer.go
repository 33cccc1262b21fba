// Package prefer reads the Prefer request header (RFC 7240) for /verify.
// verify/verifytest, the public stand-in, is in a module of its own that
// may not import this one: it keeps a copy of the rule, and internal/e2e
// sends every spelling tested here to both and compares their answers.
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
