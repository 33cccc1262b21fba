package mongo

import (
	"context"
	"slices"

	"github.com/latchkey/latchkey/internal/page"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Keyset describes how a list is paged: by the values of one indexed key,
// ascending or descending, after the key of the previous page's last item.
type keyset[T any] struct {
	Key  string
	Desc bool
	// After is the previous page's last key; nil for the first page.
	After any
	// KeyOf gives an item's key as the next page's cursor.
	KeyOf func(*T) string
}

// findPage returns up to limit documents of coll matching q in k's order,
// after k.After, and the cursor of the next page ("" on the last).
func findPage[T any](ctx context.Context, coll *mongo.Collection, q bson.D, limit int, k keyset[T]) ([]T, string, error) {
	op, dir := "$gt", 1
	if k.Desc {
		op, dir = "$lt", -1
	}
	q = slices.Clone(q)
	if k.After != nil {
		q = append(q, bson.E{Key: k.Key, Value: bson.D{{Key: op, Value: k.After}}})
	}
	cur, err := coll.Find(ctx, q, options.Find().SetSort(bson.D{{Key: k.Key, Value: dir}}).SetLimit(int64(limit)+1))
	if err != nil {
		return nil, "", translate(err, nil)
	}
	var list []T
	if err := cur.All(ctx, &list); err != nil {
		return nil, "", translate(err, nil)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = k.KeyOf(&list[len(list)-1])
	}
	return list, next, nil
}

// afterID is pg's cursor as a value of _id: nil on the first page.
func afterID(pg page.Page) (any, error) {
	id, err := pg.AfterID()
	if id == nil {
		return nil, err
	}
	return *id, nil
}
