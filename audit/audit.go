// Package audit writes and reads a tenant's audit log: one record for every
// security-relevant action, never with a secret in it.
package audit

import (
	"encoding/json"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/ids"
)

// Outcomes.
const (
	Success = "success"
	Failure = "failure"
	Denied  = "denied"
)

// Record is one audit entry.
type Record struct {
	ID        ids.ID    `bson:"_id,omitempty" json:"id"`
	At        time.Time `bson:"at" json:"at"`
	Action    string    `bson:"action" json:"action"`
	User      *ids.ID   `bson:"user,omitempty" json:"user"`
	Username  string    `bson:"username,omitempty" json:"username,omitempty"`
	Actor     *ids.ID   `bson:"actor,omitempty" json:"actor"`
	Target    string    `bson:"target,omitempty" json:"target"`
	IP        string    `bson:"ip" json:"ip"`
	RequestID string    `bson:"request_id" json:"request_id"`
	Outcome   string    `bson:"outcome" json:"outcome"`
	Detail    string    `bson:"detail,omitempty" json:"detail,omitempty"`
}

// MarshalJSON writes r as answers and webhook deliveries show it, its time
// as clock.Time. (A type embedding Record would marshal as Record alone:
// none does.)
func (r Record) MarshalJSON() ([]byte, error) {
	type fields Record
	return json.Marshal(struct {
		fields
		At clock.Time `json:"at"`
	}{fields(r), clock.Time(r.At)})
}

// Log writes audit records. A failed write is logged and does not fail the
// request: the action it describes has already happened.
type Log struct {
	Store  Store
	Logger *zap.Logger
	Now    func() time.Time
}

// Event starts a record for the request in c: ip, request id and, when the
// request is authenticated, the user and the OBO actor.
func Event(c *gin.Context, action, target, outcome string) Record {
	r := Record{Action: action, Target: target, Outcome: outcome, IP: c.ClientIP(), RequestID: httpx.RequestID(c)}
	if v, ok := c.Get(authn.PrincipalKey); ok {
		p := v.(*access.Principal)
		if !p.UserID.IsZero() {
			id := p.UserID
			r.User, r.Username = &id, p.Username
		}
		if p.OBO() {
			id := p.ActorID
			r.Actor = &id
		}
	}
	return r
}

// Filter selects records.
type Filter struct {
	Action string
	User   *ids.ID
	Since  *time.Time
}
