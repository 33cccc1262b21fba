// Package usertokens manages user tokens: login sessions with their refresh
// chains, personal tokens and on-behalf-of (OBO) tokens, and the lockout that
// guards password checks.
package usertokens

import (
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// Collection is the tenant collection user tokens live in.
const Collection = "tokens"

// Token kinds.
const (
	Login    = "login"
	Personal = "personal"
	OBO      = "obo"
)

// Token is a stored user token. A login token also carries its refresh
// token (hash and expiry) in the same document, so issuing both, and
// spending the parent's refresh token, is one single-document insert.
type Token struct {
	ID             ids.ID     `bson:"_id"`
	Hash           string     `bson:"hash"`
	RefreshHash    string     `bson:"refresh_hash,omitempty"`
	RefreshExpires *time.Time `bson:"refresh_expires,omitempty"`
	Kind           string     `bson:"kind"`
	UserID         ids.ID     `bson:"user_id"`
	ActorID        *ids.ID    `bson:"actor_id,omitempty"`
	AppTokenID     ids.ID     `bson:"app_token_id"`
	// Chain is the id of the first token of a refresh chain; Parent is the
	// token whose refresh token was spent to make this one (unique: a
	// refresh token is spent at most once).
	Chain    *ids.ID    `bson:"chain,omitempty"`
	Parent   *ids.ID    `bson:"parent,omitempty"`
	Name     string     `bson:"name,omitempty"`
	Created  time.Time  `bson:"created"`
	Expires  time.Time  `bson:"expires"`
	LastUsed *time.Time `bson:"last_used,omitempty"`

	// Lifetime is the lifetime in seconds a login asked for; a refresh
	// gives its successor the same (within the tenant's max_token_ttl).
	Lifetime int64 `bson:"lifetime,omitempty"`

	// EndedBy is why the token was ended, when it was ended rather than
	// left to run out; empty otherwise (and on records older than it).
	EndedBy ended.By `bson:"ended_by,omitempty"`
	// Scopes restrict a personal or OBO token to catalog scopes; nil is
	// unrestricted (login tokens, and records older than scopes). Never
	// omitted when stored: an empty list restricts to nothing.
	Scopes []string `bson:"scopes"`
	// Last is the token string's last characters, for its hint; "" on
	// records older than hints.
	Last string `bson:"last,omitempty"`

	// RotatedFrom is the personal token this one succeeded by a rotation
	// (unique: a token has at most one successor); nil otherwise.
	RotatedFrom *ids.ID `bson:"rotated_from,omitempty"`
}

// Live reports whether the token works at now (ignoring its user's and
// tenant's state): its expiry has not passed.
func (t *Token) Live(now time.Time) bool { return now.Before(t.Expires) }

// View is how a user token is shown: never its secret.
type View struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	Name       string      `json:"name,omitempty"`
	User       string      `json:"user"`
	Actor      *string     `json:"actor"`
	AppTokenID string      `json:"app_token_id"`
	Created    clock.Time  `json:"created"`
	Expires    clock.Time  `json:"expires"`
	Expired    bool        `json:"expired"`
	EndedBy    *ended.By   `json:"ended_by"`
	LastUsed   *clock.Time `json:"last_used"`
	Hint       string      `json:"hint"`
	// Scopes is null for an unrestricted token.
	Scopes []string `json:"scopes"`
	// RotatedFrom is the id of the token this one succeeded, or null.
	RotatedFrom *string `json:"rotated_from"`
}

// ViewOf returns t, a token of tenant tenantID, as shown at now.
func ViewOf(tenantID string, t *Token, now time.Time) View {
	v := View{ID: t.ID.Hex(), Kind: t.Kind, Name: t.Name, User: t.UserID.Hex(), AppTokenID: t.AppTokenID.Hex(),
		Created: clock.Time(t.Created), Expires: clock.Time(t.Expires), Expired: !t.Live(now), EndedBy: ended.Shown(t.EndedBy, t.Expires, now),
		LastUsed: (*clock.Time)(t.LastUsed),
		Hint:     secret.Hint(secret.User, tenantID, t.Last), Scopes: t.Scopes}
	v.Actor, v.RotatedFrom = optHex(t.ActorID), optHex(t.RotatedFrom)
	return v
}

// optHex is id in hex, or nil.
func optHex(id *ids.ID) *string {
	if id == nil {
		return nil
	}
	s := id.Hex()
	return &s
}
