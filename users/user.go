// Package users is a tenant's user directory: people, their roles and
// passwords, and the /users API. usertokens reads it to log people in.
package users

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/text"
)

// User statuses.
const (
	Active   = "active"
	Disabled = "disabled"
)

// User is a person in one tenant. The password is kept only as an argon2id
// hash and never leaves the store.
type User struct {
	ID           ids.ID      `bson:"_id" json:"id"`
	Username     string      `bson:"username" json:"username"`
	UsernameKey  string      `bson:"username_key" json:"-"`
	Email        string      `bson:"email" json:"email"`
	Role         access.Role `bson:"role" json:"role"`
	Status       string      `bson:"status" json:"status"`
	PasswordHash string      `bson:"password_hash" json:"-"`
	Created      time.Time   `bson:"created" json:"created"`
	Updated      time.Time   `bson:"updated" json:"updated"`
}

// MarshalJSON writes u as answers show it, its times as clock.Time. (A
// type embedding User would marshal as User alone: none does.)
func (u User) MarshalJSON() ([]byte, error) {
	type fields User
	return json.Marshal(struct {
		fields
		Created clock.Time `json:"created"`
		Updated clock.Time `json:"updated"`
	}{fields(u), clock.Time(u.Created), clock.Time(u.Updated)})
}

// Active reports whether u may log in and use its tokens.
func (u *User) Active() bool { return u.Status == Active }

// ActiveOwner reports whether u is one of the active owners a tenant must
// keep at least one of.
func (u *User) ActiveOwner() bool { return u.Active() && u.Role == access.Owner }

// UsernameKey is the case-insensitive form of a username, kept under a
// unique index (the embedded store has no collations).
func UsernameKey(username string) string { return strings.ToLower(username) }

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{2,63}$`)

// Password length bounds: OWASP's minimum, and a maximum that keeps hashing
// bounded.
const (
	MinPassword = 8
	MaxPassword = 256
)

func checkUsername(bad map[string]string, field, s string) {
	if s == "" {
		bad[field] = "This field is required."
	} else if !usernamePattern.MatchString(s) {
		bad[field] = "Must be 3 to 64 characters: letters, digits and . _ @ + - (starting with a letter or digit)."
	}
}

func checkPassword(bad map[string]string, field, s string) {
	switch {
	case s == "":
		bad[field] = "This field is required."
	case len([]rune(s)) < MinPassword:
		bad[field] = "Must be at least 8 characters."
	case len(s) > MaxPassword:
		bad[field] = "Must be at most 256 bytes."
	}
}

var emailPattern = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

func checkEmail(bad map[string]string, field, s string) {
	if s == "" {
		bad[field] = "This field is required."
	} else if !text.Safe(s) {
		// Before the pattern, whose \s is ASCII only: an email address is
		// shown in lists and terminals like a name.
		bad[field] = text.Message
	} else if len(s) > 254 || !emailPattern.MatchString(s) {
		bad[field] = "Enter a valid email address."
	}
}

func checkRole(bad map[string]string, field string, r access.Role) {
	if !r.Valid() {
		bad[field] = "Must be one of: owner, admin, support, member."
	}
}
