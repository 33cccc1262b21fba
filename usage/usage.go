// Package usage counts, per app token, the requests it authenticated, by
// outcome, in hourly buckets kept Retention. The
// authenticating path only touches memory (Counter.Count, through
// Middleware); a periodic Flush and the App's Close write the counts in
// batches, each instance adding its own to the buckets, and the store sums
// them when they are read. Handler serves GET /app_tokens/{token}/usage and
// GET /usage.
package usage

import (
	"time"

	"github.com/latchkey/latchkey/internal/ids"
)

// Outcome is how a request authenticated with an app token ended.
type Outcome uint8

// The outcomes. A new one is a constant before NumOutcomes, its name in
// OutcomeNames, a column of the SQLite engine's usage table (a schema step
// adding it with DEFAULT 0) and a field of Point; the MongoDB engine reads
// an absent field as 0, so old buckets count none of it.
const (
	OK          Outcome = iota // the request went on (any status but those below)
	Denied                     // 401 or 403 after the App-Token was identified
	RateLimited                // refused by the app token's rate limit
	NumOutcomes
)

// OutcomeNames are the outcomes' names in the API, the SQLite columns and
// the MongoDB fields, indexed by Outcome.
var OutcomeNames = [NumOutcomes]string{"ok", "denied", "rate_limited"}

// Counts are requests by outcome.
type Counts [NumOutcomes]int64

// Total is the sum over the outcomes.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Add adds d to c.
func (c *Counts) Add(d Counts) {
	for i, v := range d {
		c[i] += v
	}
}

// IsZero reports whether c counts nothing.
func (c Counts) IsZero() bool { return c == Counts{} }

// Retention is how long buckets are kept: the purge deletes older ones
// and no query reaches further.
const Retention = 90 * 24 * time.Hour

// Bucket is one hour of one app token, summed over the instances.
type Bucket struct {
	Start  time.Time // UTC, on the hour
	Counts Counts
}

// Row is what one instance writes of one bucket in a flush: Delta, the
// requests counted since its previous successful flush, and Total, all it
// has counted in the bucket. Slot names the instance's share of the
// bucket: made once per bucket per Counter, it never names another
// instance's. An engine adds Delta to the bucket in one atomic statement
// (SQLite), or sets its slot's document to Total (MongoDB, where an
// increment of an upserted document is not atomic): either way the shares
// of several instances add up.
type Row struct {
	Slot       ids.ID
	AppTokenID ids.ID
	Start      time.Time
	Delta      Counts
	Total      Counts
}

// TokenCounts are one app token's requests over a time range.
type TokenCounts struct {
	AppTokenID ids.ID
	Counts     Counts
}

// hourOf returns the start of t's hour, in UTC.
func hourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }
