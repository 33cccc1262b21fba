// Package apptokens manages app tokens: the long-lived secrets that name an
// integrating app of one tenant and go in every request's App-Token header.
package apptokens

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/secret"
)

// Collection is the tenant collection app tokens live in.
const Collection = "app_tokens"

// Token is a stored app token. Only the hash of its secret is kept.
type Token struct {
	ID        ids.ID     `bson:"_id"`
	Hash      string     `bson:"hash"`
	Name      string     `bson:"name"`
	Created   time.Time  `bson:"created"`
	CreatedBy *ids.ID    `bson:"created_by,omitempty"`
	Expires   time.Time  `bson:"expires"`
	LastUsed  *time.Time `bson:"last_used,omitempty"`
	// EndedBy is why the token was ended, when it was ended rather than
	// left to run out; empty otherwise (and on records older than it).
	EndedBy ended.By `bson:"ended_by,omitempty"`
	// RateLimit bounds the requests made with the token; nil,
	// as on every record older than it, is none.
	RateLimit *ratelimit.Policy `bson:"rate_limit,omitempty"`
	// Scopes restrict the token to catalog scopes; nil is unrestricted
	// (and what records older than scopes read as). Never omitted when
	// stored: an empty list restricts to nothing.
	Scopes []string `bson:"scopes"`
	// ExternalID and Meta are the platform's metadata: its own
	// id, and a JSON object kept as the text it was given ("" for none).
	ExternalID string `bson:"external_id,omitempty"`
	Meta       string `bson:"meta,omitempty"`
	// Last is the token string's last characters, for its hint; "" on
	// records older than hints.
	Last string `bson:"last,omitempty"`
	// RotatedFrom is the token this one succeeded by a rotation (unique:
	// a token has at most one successor); nil otherwise.
	RotatedFrom *ids.ID `bson:"rotated_from,omitempty"`
}

// Live reports whether the token works at now (ignoring its tenant's
// state): its expiry has not passed.
func (t *Token) Live(now time.Time) bool { return now.Before(t.Expires) }

// Console reports whether t is its tenant's built-in console app token.
func (t *Token) Console() bool { return t.ID == access.ConsoleApp }

// View is how an app token is shown: never its secret.
type View struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Created   clock.Time        `json:"created"`
	CreatedBy *string           `json:"created_by"`
	Expires   clock.Time        `json:"expires"`
	Expired   bool              `json:"expired"`
	EndedBy   *ended.By         `json:"ended_by"`
	LastUsed  *clock.Time       `json:"last_used"`
	RateLimit *ratelimit.Policy `json:"rate_limit"`
	// Console marks the tenant's built-in console app token (Console).
	Console bool   `json:"console"`
	Hint    string `json:"hint"`
	// Scopes is null for an unrestricted token.
	Scopes     []string        `json:"scopes"`
	ExternalID *string         `json:"external_id"`
	Meta       json.RawMessage `json:"meta"`
	// RotatedFrom is the id of the token this one succeeded, or null.
	RotatedFrom *string `json:"rotated_from"`
}

// ViewOf returns t, a token of tenant tenantID, as shown at now.
func ViewOf(tenantID string, t *Token, now time.Time) View {
	v := View{ID: t.ID.Hex(), Name: t.Name, Created: clock.Time(t.Created), Expires: clock.Time(t.Expires), Expired: !t.Live(now),
		EndedBy: ended.Shown(t.EndedBy, t.Expires, now), LastUsed: (*clock.Time)(t.LastUsed), RateLimit: t.RateLimit, Console: t.Console(),
		Hint: secret.Hint(secret.App, tenantID, t.Last), Scopes: t.Scopes, Meta: json.RawMessage("null")}
	if t.ExternalID != "" {
		v.ExternalID = &t.ExternalID
	}
	if t.Meta != "" {
		v.Meta = json.RawMessage(t.Meta)
	}
	v.CreatedBy = optHex(t.CreatedBy)
	v.RotatedFrom = optHex(t.RotatedFrom)
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
