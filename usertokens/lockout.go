package usertokens

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/mongostore"
)

// Claims is the tenant collection that holds login-attempt claims: each a
// document under a unique _id, so concurrent logins settle who may check a
// password by insert, never by a counter.
const Claims = "login_claims"

// ClaimIndexes are the claims collection's indexes (its _id is unique).
var ClaimIndexes = []mongostore.Index{
	{Keys: bson.D{{Key: "expires", Value: 1}}},
}
