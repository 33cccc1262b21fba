package mongo

import (
	"context"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/users"
)

// A tenant keeps an active owner (users.ErrLastOwner): a change that may
// remove one counts the other active owners first, and no other such change
// of the tenant may run between the count and the change. A conditional
// update cannot decide it on FerretDB (it does not make read-modify-write
// atomic), so the changes take turns under a lock that is decided by
// inserts under a unique key, in the tenant's owner_claims collection:
//
//   - The lock is a sequence of generations {_id: n, held, expires}. To take
//     it, a change reads the highest generation n; when that one is released
//     (held false), expired, or there is none, it inserts n+1. The unique _id
//     gives n+1 to one change; the others read again and wait.
//   - The winner then reads the highest generation again: if it is not its
//     own, its read of n was stale (generations came and went meanwhile), so
//     it removes its insert and tries again. The highest generation is never
//     deleted (a release removes only the ones below its own), so a holder's
//     generation is the highest one, and anyone who reads it waits.
//   - Release sets held to false: only the holder writes its generation.
//   - A holder that crashed leaves its generation held until expires
//     (ownerLockTTL), after which the next change takes n+1. A change that
//     waits longer than ownerLockWait is answered Unavailable (503).
//
// A change that leaves the user an active owner removes none and takes no
// lock; every change that may remove one (a Replace that does not keep it
// an active owner, a Delete) decides under the lock from what is stored,
// not from what the caller read.
const (
	collOwnerClaims = "owner_claims"
	ownerLockTTL    = 30 * time.Second
	ownerLockWait   = 10 * time.Second
)

// ownerClaim is one generation of a tenant's owner lock.
type ownerClaim struct {
	Gen     int64     `bson:"_id"`
	Held    bool      `bson:"held"`
	Expires time.Time `bson:"expires"`
}

var errOwnersBusy = errs.E(errs.Unavailable, "store", "Another change of this tenant's owners is in progress; try again.")

// keepOwner runs change, which may remove user id as an active owner, under
// the tenant's owner lock, after refusing it with users.ErrLastOwner when id
// is a stored active owner and no other user is one.
// Errors: users.ErrNotFound, users.ErrLastOwner, Unavailable, and change's.
func (s userStore) keepOwner(ctx context.Context, tenantID string, id ids.ID, change func(context.Context) error) error {
	release, err := s.lockOwners(ctx, tenantID)
	if err != nil {
		return err
	}
	defer release()
	u, err := s.FindByID(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if u.ActiveOwner() {
		err := s.coll(tenantID).FindOne(ctx, bson.D{
			{Key: "role", Value: access.Owner}, {Key: "status", Value: users.Active},
			{Key: "_id", Value: bson.D{{Key: "$ne", Value: id}}},
		}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		other, err := found(err)
		if err != nil {
			return err
		}
		if !other {
			return users.ErrLastOwner
		}
	}
	return change(ctx)
}

// lockOwners takes the owner lock of tenant (see above) and returns its
// release. Errors: Unavailable (the store's, or errOwnersBusy).
func (s userStore) lockOwners(ctx context.Context, tenantID string) (func(), error) {
	coll := s.db.tenant(tenantID).Collection(collOwnerClaims)
	deadline := time.Now().Add(ownerLockWait)
	for {
		top, err := lastOwnerClaim(ctx, coll)
		if err != nil {
			return nil, err
		}
		if !top.Held || time.Now().After(top.Expires) {
			gen := top.Gen + 1
			_, err := coll.InsertOne(ctx, ownerClaim{Gen: gen, Held: true, Expires: time.Now().Add(ownerLockTTL)})
			switch {
			case err == nil:
				now, err := lastOwnerClaim(ctx, coll)
				if err == nil && now.Gen == gen {
					return func() { releaseOwners(coll, gen) }, nil
				}
				// A stale read of the highest generation: give it back.
				_, _ = coll.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: gen}})
				if err != nil {
					return nil, err
				}
			case !isDuplicate(err):
				return nil, translate(err, nil)
			}
		}
		if time.Now().After(deadline) {
			return nil, errOwnersBusy
		}
		select {
		case <-ctx.Done():
			return nil, translate(ctx.Err(), nil)
		case <-time.After(time.Duration(2+rand.IntN(8)) * time.Millisecond):
		}
	}
}

// lastOwnerClaim returns the highest generation of coll, or the zero
// generation (not held) when there is none.
func lastOwnerClaim(ctx context.Context, coll *mongo.Collection) (ownerClaim, error) {
	var c ownerClaim
	err := coll.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&c)
	if _, err := found(err); err != nil {
		return ownerClaim{}, err
	}
	return c, nil
}

// releaseOwners releases generation gen and removes the ones below it. A
// release that fails leaves the lock to expire.
func releaseOwners(coll *mongo.Collection, gen int64) {
	ctx := context.Background()
	_, _ = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: gen}}, bson.D{{Key: "$set", Value: bson.D{{Key: "held", Value: false}}}})
	_, _ = coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: gen}}}})
}
