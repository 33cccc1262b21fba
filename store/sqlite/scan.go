package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// How Go values become columns and back: ids are 12-byte BLOBs, times
// INTEGER Unix milliseconds read back in UTC (the stores' precision, see
// clock.Stored), optional values NULL.

// idArg is id as a BLOB.
func idArg(id ids.ID) []byte { return id[:] }

// optID is id as a BLOB, NULL when nil.
func optID(id *ids.ID) any {
	if id == nil {
		return nil
	}
	return idArg(*id)
}

// optTime is t in Unix milliseconds, NULL when nil.
func optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// idCol scans a BLOB id.
type idCol struct{ p *ids.ID }

func (c idCol) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("id column holds %T", src)
	}
	id, err := ids.FromBytes(b)
	*c.p = id
	return err
}

// optIDCol scans a BLOB id that may be NULL.
type optIDCol struct{ p **ids.ID }

func (c optIDCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var id ids.ID
	if err := (idCol{&id}).Scan(src); err != nil {
		return err
	}
	*c.p = &id
	return nil
}

// timeCol scans Unix milliseconds.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	ms, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T", src)
	}
	*c.p = time.UnixMilli(ms).UTC()
	return nil
}

// optTimeCol scans Unix milliseconds that may be NULL.
type optTimeCol struct{ p **time.Time }

func (c optTimeCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.p = &t
	return nil
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, scan func(scanner, *T) error) ([]T, error) {
	defer rows.Close()
	var list []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// pageOf trims a list read with limit+1 rows to limit and returns the
// cursor of the next page: the key of its last item, "" when the list
// ends here.
func pageOf[T any](list []T, limit int, key func(*T) string) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, key(&list[limit-1])
}

// policyLimit and policySeconds are a rate limit's columns, NULL when
// there is none.
func policyLimit(p *ratelimit.Policy) any {
	if p == nil {
		return nil
	}
	return p.Limit
}

func policySeconds(p *ratelimit.Policy) any {
	if p == nil {
		return nil
	}
	return p.Seconds
}

// policyCols scans a rate limit's two columns.
type policyCols struct{ limit, seconds sql.NullInt64 }

// policy is the rate limit scanned, nil when its columns are NULL.
func (c policyCols) policy() *ratelimit.Policy {
	if !c.limit.Valid || !c.seconds.Valid {
		return nil
	}
	return &ratelimit.Policy{Limit: c.limit.Int64, Seconds: c.seconds.Int64}
}

// scopesArg is a token's scopes as stored: NULL for unrestricted (nil),
// else a JSON list (token_scopes is kept from it by triggers).
func scopesArg(names []string) any {
	if names == nil {
		return nil
	}
	b, _ := json.Marshal(names) // a list of strings always marshals
	return string(b)
}

// scopesCol scans a scopes column: NULL is nil (unrestricted).
type scopesCol struct{ p *[]string }

func (c scopesCol) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case nil:
		*c.p = nil
		return nil
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("sqlite: scopes column of type %T", src)
	}
	names := []string{}
	if err := json.Unmarshal(text, &names); err != nil {
		return fmt.Errorf("sqlite: scopes column: %w", err)
	}
	*c.p = names
	return nil
}
