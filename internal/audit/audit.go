// Package audit writes and reads a tenant's audit log: one record for every
// security-relevant action, never with a secret in it.
package audit

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/mongostore"
)

// Collection is the name of every tenant's audit collection.
const Collection = "audit"

// Outcomes.
const (
	Success = "success"
	Failure = "failure"
	Denied  = "denied"
)

// Record is one audit entry.
type Record struct {
	ID        bson.ObjectID  `bson:"_id,omitempty" json:"id"`
	At        time.Time      `bson:"at" json:"at"`
	Action    string         `bson:"action" json:"action"`
	User      *bson.ObjectID `bson:"user,omitempty" json:"user"`
	Username  string         `bson:"username,omitempty" json:"username,omitempty"`
	Actor     *bson.ObjectID `bson:"actor,omitempty" json:"actor"`
	Target    string         `bson:"target,omitempty" json:"target"`
	IP        string         `bson:"ip" json:"ip"`
	RequestID string         `bson:"request_id" json:"request_id"`
	Outcome   string         `bson:"outcome" json:"outcome"`
	Detail    string         `bson:"detail,omitempty" json:"detail,omitempty"`
}

// Log writes audit records. A failed write is logged and does not fail the
// request: the action it describes has already happened.
type Log struct {
	Logger *zap.Logger
	Now    func() time.Time
}

// Event starts a record for the request in c: ip, request id and, when the
// request is authenticated, the user and the OBO actor.
func Event(c *gin.Context, action, target, outcome string) Record {
	r := Record{Action: action, Target: target, Outcome: outcome, IP: c.ClientIP(), RequestID: httpx.RequestID(c)}
	if v, ok := c.Get(authn.PrincipalKey); ok {
		p := v.(*authn.Principal)
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

// Write stores r in db's audit collection.
func (l *Log) Write(ctx context.Context, db *mongo.Database, r Record) {
	r.ID = bson.NewObjectID()
	r.At = l.Now().UTC()
	if _, err := db.Collection(Collection).InsertOne(context.WithoutCancel(ctx), r); err != nil {
		l.Logger.Error("audit write failed", zap.String("action", r.Action), zap.String("request_id", r.RequestID), zap.Error(err))
	}
}

// Filter selects records.
type Filter struct {
	Action string
	User   *bson.ObjectID
	Since  *time.Time
}

// Find returns up to page.Limit records matching f, newest first, after the
// cursor (a record id), and the cursor of the next page ("" at the end).
func Find(ctx context.Context, db *mongo.Database, f Filter, page httpx.Page) ([]Record, string, error) {
	q := bson.D{}
	if f.Action != "" {
		q = append(q, bson.E{Key: "action", Value: f.Action})
	}
	if f.User != nil {
		q = append(q, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "user", Value: *f.User}}, bson.D{{Key: "actor", Value: *f.User}}}})
	}
	if f.Since != nil {
		q = append(q, bson.E{Key: "at", Value: bson.D{{Key: "$gte", Value: *f.Since}}})
	}
	after, err := mongostore.IDCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	return mongostore.FindPage(ctx, db.Collection(Collection), q, page.Limit, mongostore.Keyset[Record]{
		Key: "_id", Desc: true, After: after, KeyOf: func(r *Record) string { return r.ID.Hex() }})
}

// Indexes are the audit collection's indexes.
var Indexes = []mongostore.Index{
	{Keys: bson.D{{Key: "action", Value: 1}, {Key: "_id", Value: -1}}},
	{Keys: bson.D{{Key: "user", Value: 1}, {Key: "_id", Value: -1}}},
	{Keys: bson.D{{Key: "at", Value: -1}}},
}
