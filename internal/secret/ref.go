package secret

import (
	"context"
	"crypto/subtle"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Ref names a token record: by public id, or by the token string itself
// (support staff often hold only a leaked string), whose id is in it and
// whose hash must then match the stored one.
type Ref struct {
	ID ids.ID
	// Hash is the SHA-256 of the token string the ref was made from; empty
	// when the ref is a bare public id.
	Hash string
}

// RefOf returns the ref of a parsed token string s.
func RefOf(tok Token, s string) Ref { return Ref{ID: tok.ID, Hash: Hash(s)} }

// ParseRef reads a {token} path segment for tokens of kind in tenant. A
// token string of another kind or tenant is NotFound, as is anything shaped
// like a token that k did not make (it fails its checksum or its tag);
// anything else that is not a 24-hex id is the malformed-id error on field.
func (k *Keyring) ParseRef(s string, kind Kind, tenantID, field string) (Ref, error) {
	if id, err := ids.Parse(s); err == nil {
		return Ref{ID: id}, nil
	}
	if tok, ok := k.Parse(s); ok {
		if tok.Kind != kind || tok.TenantID != tenantID {
			return Ref{}, errs.E(errs.NotFound, field, "No such token.")
		}
		return RefOf(tok, s), nil
	}
	if LooksLikeToken(s) {
		return Ref{}, errs.E(errs.NotFound, field, "No such token.")
	}
	return Ref{}, errs.E(errs.Invalid, field, errs.MalformedID)
}

// Verifies reports whether a record whose stored hash is stored is the one
// r names: always for a bare id, and for a token string when the hashes
// match, compared in constant time.
func (r Ref) Verifies(stored string) bool {
	return r.Hash == "" || subtle.ConstantTimeCompare([]byte(r.Hash), []byte(stored)) == 1
}

// Lookup returns the record ref names, read by its id with find, when ref
// verifies against the hash the record stores (hashOf; "" never verifies a
// token string), and notFound otherwise. Every lookup of a presented token
// string goes through it, so the comparison with the stored hash is made in
// one place. Errors: find's, notFound.
func Lookup[T any](ctx context.Context, ref Ref, find func(context.Context, ids.ID) (*T, error),
	hashOf func(*T) string, notFound error) (*T, error) {
	rec, err := find(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	if stored := hashOf(rec); (stored == "" && ref.Hash != "") || !ref.Verifies(stored) {
		return nil, notFound
	}
	return rec, nil
}

// ParseID reads a 24-hex id or returns the malformed-id error on field.
func ParseID(s, field string) (ids.ID, error) {
	id, err := ids.Parse(s)
	if err != nil {
		return id, errs.E(errs.Invalid, field, errs.MalformedID)
	}
	return id, nil
}

// Chosen is the error for a request that names its own token string in
// field: the server makes every token string.
func Chosen(field string) error {
	return errs.E(errs.Invalid, field, "The server generates token strings; a client cannot choose one.")
}
