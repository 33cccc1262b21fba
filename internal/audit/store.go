package audit

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
)

// Write stores r in db's audit collection.
func (l *Log) Write(ctx context.Context, db *mongo.Database, r Record) {
	r.ID = ids.New()
	r.At = l.Now().UTC()
	if _, err := db.Collection(Collection).InsertOne(context.WithoutCancel(ctx), r); err != nil {
		l.Logger.Error("audit write failed", zap.String("action", r.Action), zap.String("request_id", r.RequestID), zap.Error(err))
	}
}

// Find returns up to pg.Limit records matching f, newest first, after the
// cursor (a record id), and the cursor of the next page ("" at the end).
func Find(ctx context.Context, db *mongo.Database, f Filter, pg page.Page) ([]Record, string, error) {
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
	after, err := mongostore.IDCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	return mongostore.FindPage(ctx, db.Collection(Collection), q, pg.Limit, mongostore.Keyset[Record]{
		Key: "_id", Desc: true, After: after, KeyOf: func(r *Record) string { return r.ID.Hex() }})
}

// Indexes are the audit collection's indexes.
var Indexes = []mongostore.Index{
	{Keys: bson.D{{Key: "action", Value: 1}, {Key: "_id", Value: -1}}},
	{Keys: bson.D{{Key: "user", Value: 1}, {Key: "_id", Value: -1}}},
	{Keys: bson.D{{Key: "at", Value: -1}}},
}
