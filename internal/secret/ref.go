package secret

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/errs"
)

// Ref is a token named in a URL: by public id, or by the token string itself
// (support staff often hold only a leaked string), in which case only its
// hash is kept.
type Ref struct {
	ID   bson.ObjectID
	Hash string
}

// ParseRef reads a {token} path segment for tokens of kind in tenant. A
// well-formed token string of another kind or tenant is NotFound, as is
// anything shaped like a token that fails its checksum; anything else that
// is not a 24-hex id is the malformed-id error on field.
func ParseRef(s string, kind Kind, tenantID, field string) (Ref, error) {
	if id, err := bson.ObjectIDFromHex(s); err == nil {
		return Ref{ID: id}, nil
	}
	if tok, ok := ParseToken(s); ok {
		if tok.Kind != kind || tok.TenantID != tenantID {
			return Ref{}, errs.E(errs.NotFound, field, "No such token.")
		}
		return Ref{Hash: Hash(s)}, nil
	}
	if LooksLikeToken(s) {
		return Ref{}, errs.E(errs.NotFound, field, "No such token.")
	}
	return Ref{}, errs.E(errs.Invalid, field, errs.MalformedID)
}

// Filter returns the store filter selecting the referenced token.
func (r Ref) Filter() bson.D {
	if r.Hash != "" {
		return bson.D{{Key: "hash", Value: r.Hash}}
	}
	return bson.D{{Key: "_id", Value: r.ID}}
}

// ParseID reads a 24-hex id or returns the malformed-id error on field.
func ParseID(s, field string) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(s)
	if err != nil {
		return id, errs.E(errs.Invalid, field, errs.MalformedID)
	}
	return id, nil
}
