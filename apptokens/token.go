// Package apptokens manages app tokens: the long-lived secrets that name an
// integrating app of one tenant and go in every request's App-Token header.
package apptokens

import (
	"time"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
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
	// RotatedFrom is the token this one succeeded by a rotation (unique:
	// a token has at most one successor); nil otherwise.
	RotatedFrom *ids.ID `bson:"rotated_from,omitempty"`
}

// Live reports whether the token works at now (ignoring its tenant's
// state): its expiry has not passed.
func (t *Token) Live(now time.Time) bool { return now.Before(t.Expires) }

// View is how an app token is shown: never its secret.
type View struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Created   time.Time  `json:"created"`
	CreatedBy *string    `json:"created_by"`
	Expires   time.Time  `json:"expires"`
	Expired   bool       `json:"expired"`
	EndedBy   *ended.By  `json:"ended_by"`
	LastUsed  *time.Time `json:"last_used"`
	// RotatedFrom is the id of the token this one succeeded, or null.
	RotatedFrom *string `json:"rotated_from"`
}

// ViewOf returns t as shown at now.
func ViewOf(t *Token, now time.Time) View {
	v := View{ID: t.ID.Hex(), Name: t.Name, Created: t.Created, Expires: t.Expires, Expired: !t.Live(now),
		EndedBy: ended.Shown(t.EndedBy, t.Expires, now), LastUsed: t.LastUsed}
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
