package access

import "github.com/latchkey/latchkey/internal/errs"

// ErrOBOCredential is the answer to a request made with an on-behalf-of
// token that would make a credential.
var ErrOBOCredential = errs.E(errs.Forbidden, "token", "An on-behalf-of token cannot do this.")

// CheckMakeCredential returns nil when p may make a credential: issue a
// token of any kind (personal, OBO, an app token, a tenant's first app
// token), create a user or a tenant, set or reset a password (its own user's
// included) or sign up. An on-behalf-of token makes none:
// whatever it made would outlive the issuing admin's role cap and
// its expiry, and survive the issuer being disabled. This is the one place
// the rule is decided; routes that always make a credential guard with
// MakesCredential, the rest (a password in PATCH /users/{id}) call this.
// Errors: Forbidden (ErrOBOCredential), on the field "token".
func (p *Principal) CheckMakeCredential() error {
	if p.OBO() {
		return ErrOBOCredential
	}
	return nil
}
