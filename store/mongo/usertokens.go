package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/usertokens"
)

func (s tokenStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collTokens)
}

// Insert implements usertokens.Store: the unique index on parent lets one
// insert per parent succeed.
func (s tokenStore) Insert(ctx context.Context, tenantID string, t *usertokens.Token) error {
	_, err := s.coll(tenantID).InsertOne(ctx, t)
	return translate(err, nil)
}

// FindByID implements usertokens.Store.
func (s tokenStore) FindByID(ctx context.Context, tenantID string, id ids.ID) (*usertokens.Token, error) {
	var t usertokens.Token
	if err := s.coll(tenantID).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&t); err != nil {
		return nil, translate(err, usertokens.ErrNotFound)
	}
	return &t, nil
}

// HasChild implements usertokens.Store.
func (s tokenStore) HasChild(ctx context.Context, tenantID string, id ids.ID) (bool, error) {
	err := s.coll(tenantID).FindOne(ctx, bson.D{{Key: "parent", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	return found(err)
}

// Find implements usertokens.Store.
func (s tokenStore) Find(ctx context.Context, tenantID string, f usertokens.Filter, now time.Time, pg page.Page) ([]usertokens.Token, string, error) {
	q := bson.D{}
	if f.User != nil {
		q = append(q, bson.E{Key: "user_id", Value: *f.User})
	}
	if f.Kind != "" {
		q = append(q, bson.E{Key: "kind", Value: f.Kind})
	}
	if f.Active != nil {
		op := "$lte"
		if *f.Active {
			op = "$gt"
		}
		q = append(q, bson.E{Key: "expires", Value: bson.D{{Key: op, Value: now}}})
	}
	after, err := afterID(pg)
	if err != nil {
		return nil, "", err
	}
	return findPage(ctx, s.coll(tenantID), q, pg.Size(), keyset[usertokens.Token]{
		Key: "_id", Desc: true, After: after, KeyOf: func(t *usertokens.Token) string { return t.ID.Hex() }})
}

// SetExpires implements usertokens.Store. A re-dating is one update whose
// filter requires the token to be live, decided atomically by MongoDB (not
// by FerretDB; see appTokenStore.SetExpires).
func (s tokenStore) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change) error {
	if c.Ends() {
		matched, err := s.end(ctx, tenantID, id, c.Expires, c.By)
		if err != nil {
			return err
		}
		return affected(matched, nil, usertokens.ErrNotFound)
	}
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
		return usertokens.ErrInGrace
	}
	return usertokens.ErrExpired
}

// Rotate implements usertokens.Store (see rotate).
func (s tokenStore) Rotate(ctx context.Context, tenantID string, next *usertokens.Token, c ended.Change) error {
	live, err := rotate(ctx, s.coll(tenantID), next, next.ID, *next.RotatedFrom, c, usertokens.ErrRotated)
	if err != nil || live {
		return err
	}
	if _, err := s.FindByID(ctx, tenantID, *next.RotatedFrom); err != nil {
		return err
	}
	return usertokens.ErrRotateExpired
}

// expireUpdate moves a token's expiry and refresh expiry back to t.
func expireUpdate(t time.Time) bson.E {
	return bson.E{Key: "$min", Value: bson.D{{Key: "expires", Value: t}, {Key: "refresh_expires", Value: t}}}
}

// end makes token id and its refresh token expire at t (never later),
// recording by if the token was live at t, and returns how many tokens it
// matched (0: missing). Errors: Unavailable.
func (s tokenStore) end(ctx context.Context, tenantID string, id ids.ID, t time.Time, by ended.By) (int64, error) {
	res, err := s.coll(tenantID).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: t}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ended_by", Value: by}}}, expireUpdate(t)})
	if err != nil {
		return 0, translate(err, nil)
	}
	if res.MatchedCount > 0 {
		return res.MatchedCount, nil
	}
	res, err = s.coll(tenantID).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{expireUpdate(t)})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.MatchedCount, nil
}

// Expire implements usertokens.Store: the selected live tokens end with
// their reason, then the live refresh tokens of the others end too.
// Expiring only ever moves times backwards ($min), so a concurrent run
// cannot undo it.
func (s tokenStore) Expire(ctx context.Context, tenantID string, sel usertokens.Selector, now time.Time, by ended.By) (int64, error) {
	var q bson.D
	switch {
	case sel.User != nil:
		q = bson.D{{Key: "user_id", Value: *sel.User}}
		if !sel.Keep.IsZero() {
			q = append(q, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: sel.Keep}}})
		}
	case sel.Chain != nil:
		q = bson.D{{Key: "chain", Value: *sel.Chain}}
	case sel.Actor != nil:
		q = bson.D{{Key: "actor_id", Value: *sel.Actor}}
	default:
		return 0, nil
	}
	after := bson.D{{Key: "$gt", Value: now}}
	live := append(q[:len(q):len(q)], bson.E{Key: "expires", Value: after})
	res, err := s.coll(tenantID).UpdateMany(ctx, live,
		bson.D{{Key: "$set", Value: bson.D{{Key: "ended_by", Value: by}}}, expireUpdate(now)})
	if err != nil {
		return 0, translate(err, nil)
	}
	n := res.ModifiedCount
	refresh := append(q[:len(q):len(q)], bson.E{Key: "refresh_expires", Value: after})
	res, err = s.coll(tenantID).UpdateMany(ctx, refresh, bson.D{expireUpdate(now)})
	if err != nil {
		return n, translate(err, nil)
	}
	return n + res.ModifiedCount, nil
}

// Delete implements usertokens.Store.
func (s tokenStore) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	res, err := s.coll(tenantID).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return translate(err, nil)
	}
	return affected(res.DeletedCount, nil, usertokens.ErrNotFound)
}

// PurgeExpired implements usertokens.Store.
func (s tokenStore) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	before := bson.D{{Key: "$lt", Value: cutoff}}
	res, err := s.coll(tenantID).DeleteMany(ctx, bson.D{
		{Key: "expires", Value: before},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "refresh_expires", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "refresh_expires", Value: before}},
		}},
	})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}

func (s claimStore) coll(tenantID string) *mongo.Collection {
	return s.db.tenant(tenantID).Collection(collClaims)
}

// InsertClaim implements usertokens.ClaimStore: the unique _id decides.
func (s claimStore) InsertClaim(ctx context.Context, tenantID string, c usertokens.Claim) error {
	_, err := s.coll(tenantID).InsertOne(ctx, c)
	return translate(err, nil)
}

// FindClaim implements usertokens.ClaimStore.
func (s claimStore) FindClaim(ctx context.Context, tenantID, id string) (*usertokens.Claim, error) {
	var c usertokens.Claim
	err := s.coll(tenantID).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
	if ok, err := found(err); !ok {
		return nil, err
	}
	return &c, nil
}

// ReplaceClaim implements usertokens.ClaimStore.
func (s claimStore) ReplaceClaim(ctx context.Context, tenantID string, old *usertokens.Claim, c usertokens.Claim) error {
	q := bson.D{{Key: "_id", Value: old.ID}, {Key: "expires", Value: old.Expires}}
	_, err := s.coll(tenantID).ReplaceOne(ctx, q, c)
	return translate(err, nil)
}

// DeleteClaim implements usertokens.ClaimStore.
func (s claimStore) DeleteClaim(ctx context.Context, tenantID, id string) error {
	_, err := s.coll(tenantID).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return translate(err, nil)
}

// DeleteClaims implements usertokens.ClaimStore: one range of the _id
// index.
func (s claimStore) DeleteClaims(ctx context.Context, tenantID, prefix string) (int64, error) {
	end := []byte(prefix)
	end[len(end)-1]++ // the least string above every one that starts with prefix
	q := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: string(end)}}}}
	res, err := s.coll(tenantID).DeleteMany(ctx, q)
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}

// PurgeClaims implements usertokens.ClaimStore.
func (s claimStore) PurgeClaims(ctx context.Context, tenantID string, now time.Time) (int64, error) {
	res, err := s.coll(tenantID).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: now}}}})
	if err != nil {
		return 0, translate(err, nil)
	}
	return res.DeletedCount, nil
}
