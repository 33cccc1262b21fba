package access

import (
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// AppCredential is what an App-Token resolves to.
type AppCredential struct {
	TenantID     string
	TenantSlug   string
	TenantActive bool
	Platform     bool
	TokenID      ids.ID
	Created      time.Time
	Expires      time.Time
	// RateLimit is the app token's rate limit, nil for none: checking it
	// costs no store read.
	RateLimit *ratelimit.Policy
	// Scopes are the app token's own scopes; ExternalID and Meta its
	// metadata, Meta as the JSON it was given ("" for none).
	Scopes     Scopes
	ExternalID string
	Meta       string
	// TokenID and Expires as answers and log lines write them (WithText).
	Text AppText
}

// UserCredential is what a user token resolves to, with the state of its
// user and, for OBO tokens, of its issuing actor.
type UserCredential struct {
	TokenID    ids.ID
	Kind       string
	Expires    time.Time
	UserID     ids.ID
	Username   string
	Role       Role
	UserActive bool
	ActorID    ids.ID
	ActorRole  Role
	// ActorActive is true when there is no actor or the actor is active.
	ActorActive bool
	// The rest of the token's record, so that showing the current token
	// (GET /token, the most frequent call) needs no second store read.
	Name       string
	AppTokenID ids.ID // the app token it was issued through
	Created    time.Time
	LastUsed   *time.Time
	// Scopes are the token's own scopes (unrestricted for login tokens).
	Scopes Scopes
	// Last is the token string's last characters, for its hint.
	Last string
	// TokenID, UserID, ActorID and Expires as answers and log lines write
	// them (WithText).
	Text UserText
}

// AppText is an app token's id in hex and its expiry in UTC, RFC 3339 with
// nanoseconds (encoding/json's form of a time).
type AppText struct{ TokenID, Expires string }

// UserText is a user token's ids in hex (ActorID "" when there is no actor)
// and its expiry in UTC, RFC 3339 with nanoseconds.
type UserText struct{ TokenID, UserID, ActorID, Expires string }

// WithText returns c with its Text made. Credentials get it once per store
// read, so a cached one is not formatted again for every request that
// shows it (the access log, /verify's headers and body).
func (c AppCredential) WithText() AppCredential {
	c.Text = AppText{TokenID: c.TokenID.Hex(), Expires: clock.Format(c.Expires)}
	return c
}

// WithText returns c with its Text made (see AppCredential.WithText).
func (c UserCredential) WithText() UserCredential {
	c.Text = UserText{TokenID: c.TokenID.Hex(), UserID: c.UserID.Hex(), Expires: clock.Format(c.Expires)}
	if !c.ActorID.IsZero() {
		c.Text.ActorID = c.ActorID.Hex()
	}
	return c
}

// ConsoleApp is the id of every tenant's built-in console app token: the
// app token the console's sign-ins are issued through. Its secret is made
// once and thrown away, so no App-Token string of it exists anywhere; a
// console session instead sends the reserved App-Token value "console"
// (authn.ConsoleAppToken) with a user token issued through it. The id is
// the same in every tenant (each tenant has its own database), and its
// time part is the epoch, so it lists after every other app token.
var ConsoleApp = ids.ID{11: 1}
