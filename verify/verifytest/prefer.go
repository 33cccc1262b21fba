package verifytest

import "strings"

// returnMinimal reports whether the Prefer header values ask for
// return=minimal (RFC 7240): preferences are comma-separated, may carry
// parameters after ";", and are matched without regard to case or spaces
// around "=". It is Latchkey's own rule (internal/prefer in the server's
// module, which this module may not import); the server module's
// end-to-end tests send the same spellings to both and compare.
func returnMinimal(values []string) bool {
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
