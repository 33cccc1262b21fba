package usertokens

import (
	"context"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/tenants"
)

var errSignupOff = errs.E(errs.Forbidden, "signup", "Signup is not enabled for this tenant.")

const (
	msgRequired      = "This field is required."
	msgUsernameTaken = "A user with that username already exists."
)

// SignupInput is what a signup presents. AcceptTOS is nil when absent.
type SignupInput struct {
	Username  string
	Password1 string
	Password2 string
	Email     string
	AcceptTOS *bool
	AppToken  ids.ID
}

// SignupAllowed returns Forbidden unless t lets people sign up.
func SignupAllowed(t *tenants.Tenant) error {
	if !t.Settings.AllowSignup {
		return errSignupOff
	}
	return nil
}

// Signup makes a member of t from in and logs it in like a login with the
// tenant's user_token_ttl. Every field error comes at once: missing
// fields, passwords that differ, a taken or malformed username, a bad email,
// a short password (reported on password1), terms not accepted. The unique
// username index settles racing signups: the loser gets the taken-username
// error. Errors: Forbidden (signup off), Invalid, Unavailable.
func (s *Service) Signup(ctx context.Context, t *tenants.Tenant, in SignupInput) (*Session, error) {
	if err := SignupAllowed(t); err != nil {
		return nil, err
	}
	bad := map[string]string{}
	for field, v := range map[string]string{"username": in.Username, "password1": in.Password1,
		"password2": in.Password2, "email": in.Email} {
		if v == "" {
			bad[field] = msgRequired
		}
	}
	switch {
	case in.AcceptTOS == nil:
		bad["accept_tos"] = msgRequired
	case !*in.AcceptTOS:
		bad["accept_tos"] = "You must accept the terms of service."
	}
	if in.Password1 != "" && in.Password2 != "" && in.Password1 != in.Password2 {
		bad["password2"] = "The two passwords differ."
	}
	if err := s.Users.CheckMember(ctx, t.ID, in.Username, in.Password1, in.Email); err != nil {
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid {
			return nil, err
		}
		for field, msg := range signupFields(e.Fields) {
			if _, seen := bad[field]; !seen {
				bad[field] = msg
			}
		}
	}
	if err := errs.Fields(bad); err != nil {
		return nil, err
	}
	acct, err := s.Users.CreateMember(ctx, t.ID, in.Username, in.Password1, in.Email)
	switch e, _ := errs.As(err); {
	case errs.Is(err, errs.Conflict):
		return nil, errs.E(errs.Invalid, "username", msgUsernameTaken)
	case errs.Is(err, errs.Invalid):
		return nil, errs.Fields(signupFields(e.Fields))
	case err != nil:
		return nil, err
	}
	return s.issue(ctx, t, acct, in.AppToken, t.Settings.UserTokenTTL, nil)
}

// signupFields renames the user directory's field names to the signup
// form's: its password is password1.
func signupFields(fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if k == "password" {
			k = "password1"
		}
		out[k] = v
	}
	return out
}
