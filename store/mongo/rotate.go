package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/ids"
)

// rotatedFrom is the unique index that gives a token one successor. A
// tenant made before rotation existed lacks it, so rotate makes it (an
// idempotent command; rotations are rare) before its insert.
var rotatedFrom = index{keys: bson.D{{Key: "rotated_from", Value: 1}}, unique: true, sparse: true}

// rotate stores next (id nextID), the successor of token old in coll, and
// ends old ahead of time as c says, with two single-document writes: the
// successor's insert first, under the unique index on rotated_from (of
// concurrent rotations of one token one insert succeeds; the others are
// rotated), then old's end, only if it is live at c.Now. It reports
// whether old was live; when it was not (or is missing) the successor is
// removed again, so a refused rotation leaves nothing. A crash between
// the two writes leaves both tokens live and the successor recorded: a
// retry answers rotated, and the old token is expired by hand (see
// docs/API.md). An error of the end leaves the successor too: the end may
// have applied, and a tenant must not lose both.
func rotate(ctx context.Context, coll *mongo.Collection, next any, nextID, old ids.ID, c ended.Change, rotated error) (bool, error) {
	if err := ensureIndexes(ctx, coll, rotatedFrom); err != nil {
		return false, err
	}
	if _, err := coll.InsertOne(ctx, next); err != nil {
		if isDuplicate(err) {
			return false, rotated
		}
		return false, translate(err, nil)
	}
	res, err := coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: old}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: c.Now}}}},
		bson.D{{Key: "$min", Value: bson.D{{Key: "expires", Value: c.Expires}}}, {Key: "$set", Value: bson.D{{Key: "ended_by", Value: c.By}}}})
	if err != nil {
		return false, translate(err, nil)
	}
	if res.MatchedCount > 0 {
		return true, nil
	}
	if _, err := coll.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: nextID}}); err != nil {
		return false, translate(err, nil)
	}
	return false, nil
}

// graceRedate is the filter of a re-dating of token id to expires at now:
// live, and, in a rotation's grace (a reason stored), only earlier.
func graceRedate(id ids.ID, expires, now any) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: now}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "ended_by", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "expires", Value: bson.D{{Key: "$gte", Value: expires}}}},
		}}}
}
