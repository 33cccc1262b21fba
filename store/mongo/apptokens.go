package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
)

func (s appTokenStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collAppTokens)
}

// Insert implements apptokens.Store.
func (s appTokenStore) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	_, err := s.coll(tenantID).InsertOne(ctx, t)
	return translate(err, nil)
}

// FindByID implements apptokens.Store.
func (s appTokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*apptokens.Token, error) {
	var t apptokens.Token
	if err := s.coll(tenantID).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&t); err != nil {
		return nil, translate(err, apptokens.ErrNotFound)
	}
	return &t, nil
}

// Find implements apptokens.Store.
func (s appTokenStore) Find(ctx context.Context, tenantID string, pg page.Page) ([]apptokens.Token, string, error) {
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID), bson.D{}, pg.Size(), keyset[apptokens.Token]{
		Key: "_id", Desc: true, After: after, KeyOf: func(t *apptokens.Token) string { return t.ID.Hex() }})
}

// SetExpires implements apptokens.Store. A re-dating is one update whose
// filter requires the token to be live, so MongoDB decides it atomically
// against a concurrent end. (FerretDB, the test server, does not make a
// conditional update atomic: there an end and a re-dating of one token in
// the same instant could both apply. Users run MongoDB; see
// docs/API.md.) An end is made first and, when guarded, checked after
// (see undoIfLast).
func (s appTokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change, keep apptokens.KeepLive) error {
	live := bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: c.Now}}}}
	if !c.Ends() {
		res, err := s.coll(tenantID).UpdateOne(ctx, graceRedate(id, c.Expires, c.Now), bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: c.Expires}}}})
		if err != nil {
			return translate(err, nil)
		}
		if res.MatchedCount > 0 {
			return nil
		}
		tok, err := s.FindByID(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if tok.Live(c.Now) {
			return apptokens.ErrInGrace
		}
		return apptokens.ErrExpired
	}
	var old apptokens.Token
	err := s.coll(tenantID).FindOneAndUpdate(ctx, live, bson.D{{Key: "$set", Value: bson.D{
		{Key: "expires", Value: c.Expires}, {Key: "ended_by", Value: c.By}}}}).Decode(&old)
	if ok, err := found(err); err != nil {
		return err
	} else if !ok {
		// Not live (or missing): an end never moves its expiry later and
		// keeps the reason it first ended with.
		res, err := s.coll(tenantID).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$min", Value: bson.D{{Key: "expires", Value: c.Expires}}}})
		if err != nil {
			return translate(err, nil)
		}
		return affected(res.MatchedCount, nil, apptokens.ErrNotFound)
	}
	if !keep.Guards() {
		return nil
	}
	return s.undoIfLast(ctx, tenantID, &old, keep, func(ctx context.Context) error {
		// Only this change is undone: a later one to the token stands.
		restore := bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: old.Expires}}}}
		if old.EndedBy == "" {
			restore = append(restore, bson.E{Key: "$unset", Value: bson.D{{Key: "ended_by", Value: ""}}})
		} else {
			restore[0].Value = append(restore[0].Value.(bson.D), bson.E{Key: "ended_by", Value: old.EndedBy})
		}
		_, err := s.coll(tenantID).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: c.Expires}}, restore)
		return err
	})
}

// Rotate implements apptokens.Store (see rotate).
func (s appTokenStore) Rotate(ctx context.Context, tenantID string, next *apptokens.Token, c ended.Change) error {
	live, err := rotate(ctx, s.coll(tenantID), next, next.ID, *next.RotatedFrom, c, apptokens.ErrRotated)
	if err != nil || live {
		return err
	}
	if _, err := s.FindByID(ctx, tenantID, *next.RotatedFrom); err != nil {
		return err
	}
	return apptokens.ErrRotateExpired
}

// Delete implements apptokens.Store. A guarded delete is made first and
// checked after (see undoIfLast).
func (s appTokenStore) Delete(ctx context.Context, tenantID string, id ids.ID, keep apptokens.KeepLive) error {
	var old apptokens.Token
	err := s.coll(tenantID).FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&old)
	if err != nil {
		return translate(err, apptokens.ErrNotFound)
	}
	if !keep.Guards() {
		return nil
	}
	return s.undoIfLast(ctx, tenantID, &old, keep, func(ctx context.Context) error {
		_, err := s.coll(tenantID).InsertOne(ctx, &old)
		return err
	})
}

// undoIfLast decides KeepLive after the change of old was made: when old
// was live at keep.At and no other token of the tenant is, it undoes the
// change and answers ErrLastLive. MongoDB has no statement that checks
// one document and changes another, so the check comes after the change:
// of two requests that each remove one of the last two tokens, the later
// check sees both removals and undoes its own, so a live token always
// remains (both may be refused; a retry then succeeds). While the change
// stands, old does not authenticate: a blink only in that race or on the
// way to a 409.
func (s appTokenStore) undoIfLast(ctx context.Context, tenantID string, old *apptokens.Token, keep apptokens.KeepLive,
	undo func(context.Context) error) error {
	if !old.Expires.After(keep.At) {
		return nil
	}
	err := s.coll(tenantID).FindOne(ctx, bson.D{
		{Key: "expires", Value: bson.D{{Key: "$gt", Value: keep.At}}},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: old.ID}}},
	}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	live, err := found(err)
	if err == nil && live {
		return nil
	}
	// Not known to leave another live token: undo, even when the check
	// failed, so a store fault cannot lock the tenant out.
	if uerr := undo(context.WithoutCancel(ctx)); uerr != nil {
		return translate(uerr, nil)
	}
	if err != nil {
		return err
	}
	return apptokens.ErrLastLive
}

// PurgeExpired implements apptokens.Store.
func (s appTokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	res, err := s.coll(tenantID).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}

// Change implements apptokens.Store: one update of the token while live.
func (s appTokenStore) Change(ctx context.Context, tenantID string, id ids.ID, d apptokens.Details, now time.Time) error {
	var set bson.D
	if d.Name != nil {
		set = append(set, bson.E{Key: "name", Value: *d.Name})
	}
	if d.Scopes != nil {
		set = append(set, bson.E{Key: "scopes", Value: *d.Scopes})
	}
	if d.ExternalID != nil {
		set = append(set, bson.E{Key: "external_id", Value: *d.ExternalID})
	}
	if d.Meta != nil {
		set = append(set, bson.E{Key: "meta", Value: *d.Meta})
	}
	var update bson.D
	switch {
	case d.SetRateLimit && d.RateLimit != nil:
		set = append(set, bson.E{Key: "rate_limit", Value: d.RateLimit})
	case d.SetRateLimit:
		update = bson.D{{Key: "$unset", Value: bson.D{{Key: "rate_limit", Value: ""}}}}
	}
	if len(set) > 0 {
		update = append(update, bson.E{Key: "$set", Value: set})
	}
	live := bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: now}}}}
	res, err := s.coll(tenantID).UpdateOne(ctx, live, update)
	if err != nil {
		return translate(err, nil)
	}
	if res.MatchedCount > 0 {
		return nil
	}
	if _, err := s.FindByID(ctx, tenantID, id); err != nil {
		return err
	}
	return apptokens.ErrExpiredChange
}
