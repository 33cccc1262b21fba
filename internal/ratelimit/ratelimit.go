// Package ratelimit counts the requests of rate-limited app tokens
// against a budget that every instance sharing a store shares,
// without a store write per request.
//
// The budget of a token is counted in fixed windows of Policy.Seconds,
// aligned on the Unix epoch (window w covers [w·S, (w+1)·S) seconds). The
// N requests of a window are cut into chunks of ChunkSize(N) requests,
// numbered 0 to Chunks(N)-1. An instance admits a request only out of a
// chunk it holds; when it holds none with requests left, it claims the
// next chunk by inserting the claim "rate|<token>|<S>|<N>|<w>|<k>" under a
// unique key (Claimer.Claim: the store decides the race between
// instances, an insert being a single-document write on MongoDB too). A
// claim that is taken (Conflict) moves it on to chunk k+1; past the last
// chunk it refuses until the window ends, without asking the store again.
//
// The bound. Every admitted request is one of the requests of a chunk that
// its instance claimed successfully, and each chunk k is claimed by at
// most one instance, since its key is unique in the store; a chunk is
// admitted from at most its size, and the sizes of the chunks 0 to
// Chunks(N)-1 add up to N. So, whatever the number of instances and however
// their requests interleave, the requests admitted in a window number at
// most N — within the promised 1.1 × N + 2 for two instances. (Clocks of
// instances that differ by d move a request up to d into a neighbouring
// window: each window still admits at most N.) The price is fairness, not
// the bound: an instance may hold up to ChunkSize(N) − 1 requests of a
// chunk that it does not use before the window ends while another is
// refused.
//
// The cost: at most Chunks(N) ≤ 20 successful claims (store writes) per
// window and token over all instances, plus one refused insert per chunk an
// instance finds taken; a refused request costs no store call. Claims
// expire at the end of their window and the periodic purge of claims
// removes them.
package ratelimit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
)

// Bounds of a policy.
const (
	MaxLimit   = 1_000_000
	MaxSeconds = 86_400
)

// Policy is a rate limit: at most Limit requests in each window of Seconds.
type Policy struct {
	Limit   int64 `json:"limit" bson:"limit"`
	Seconds int64 `json:"seconds" bson:"seconds"`
}

// Check reports a policy out of bounds as an Invalid error on field.
func (p Policy) Check(field string) error {
	bad := map[string]string{}
	if p.Limit < 1 || p.Limit > MaxLimit {
		bad[field+".limit"] = fmt.Sprintf("Must be from 1 to %d requests.", MaxLimit)
	}
	if p.Seconds < 1 || p.Seconds > MaxSeconds {
		bad[field+".seconds"] = fmt.Sprintf("Must be from 1 to %d seconds.", MaxSeconds)
	}
	return errs.Fields(bad)
}

// ChunkSize is how many requests of a window of a limit of n one claim
// admits: a twentieth of n, but at least five (or n when n is smaller),
// so a window costs at most 20 claims and small limits few.
func ChunkSize(n int64) int64 { return max((n+19)/20, min(n, 5)) }

// Chunks is how many chunks a window of a limit of n has.
func Chunks(n int64) int64 { c := ChunkSize(n); return (n + c - 1) / c }

// Claimer records claims of chunks in a tenant's database: Claim inserts
// id, which stops mattering at expires. Errors: Conflict (the id is
// taken), Unavailable.
type Claimer interface {
	Claim(ctx context.Context, tenantID, id string, expires time.Time) error
}

// Decision is the answer to one request.
type Decision struct {
	Allowed bool
	Policy  Policy
	// Remaining is an estimate of the requests the window has left: the
	// rest of this instance's chunks and the chunks nobody has claimed as
	// far as this instance knows.
	Remaining int64
	// Reset is the time until the window ends.
	Reset time.Duration
}

// Limiter counts the requests of rate-limited tokens on one instance. The
// zero Limiter is not usable: set Claims.
type Limiter struct {
	Claims Claimer

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one token's count in its current window on this instance.
type bucket struct {
	mu     sync.Mutex
	policy Policy
	window int64
	left   int64 // requests left in the chunks this instance holds
	next   int64 // the next chunk to try: those below are someone's
}

// sweepAt is the number of buckets beyond which a new one first drops
// those whose window has ended.
const sweepAt = 4096

// Allow counts a request of token (an app token's public id) of tenant
// under p at now. A request beyond the budget is not allowed; a claim the
// store could not record is an error (Unavailable) and is not counted.
func (l *Limiter) Allow(ctx context.Context, tenantID, token string, p Policy, now time.Time) (Decision, error) {
	b := l.bucket(tenantID+"|"+token, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	width := p.Seconds * 1000
	w := now.UnixMilli() / width
	end := time.UnixMilli((w + 1) * width)
	if b.window != w || b.policy != p {
		b.policy, b.window, b.left, b.next = p, w, 0, 0
	}
	size, chunks := ChunkSize(p.Limit), Chunks(p.Limit)
	for b.left == 0 && b.next < chunks {
		k := b.next
		id := "rate|" + token + "|" + strconv.FormatInt(p.Seconds, 10) + "|" + strconv.FormatInt(p.Limit, 10) +
			"|" + strconv.FormatInt(w, 10) + "|" + strconv.FormatInt(k, 10)
		err := l.Claims.Claim(ctx, tenantID, id, end)
		if err != nil && !errs.Is(err, errs.Conflict) {
			return Decision{}, err
		}
		b.next = k + 1
		if err == nil {
			b.left = min(size, p.Limit-k*size)
		}
	}
	d := Decision{Policy: p, Reset: end.Sub(now)}
	if b.left > 0 {
		b.left--
		d.Allowed = true
	}
	d.Remaining = b.left + max(p.Limit-b.next*size, 0)
	return d, nil
}

// bucket returns the bucket of key, made at now if there is none.
func (l *Limiter) bucket(key string, now time.Time) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		return b
	}
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if len(l.buckets) >= sweepAt {
		l.sweep(now)
	}
	b := &bucket{window: -1}
	l.buckets[key] = b
	return b
}

// sweep drops the buckets whose window ended before now. l.mu is held; a
// bucket held by a request meanwhile is only a fresh count lost.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if !b.mu.TryLock() {
			continue
		}
		if b.window < 0 || (b.window+1)*b.policy.Seconds*1000 <= now.UnixMilli() {
			delete(l.buckets, k)
		}
		b.mu.Unlock()
	}
}

// Headers are the IETF RateLimit header fields of d
// (draft-ietf-httpapi-ratelimit-headers-10): the policy, and what remains
// of it with the seconds until the window ends (rounded up).
func (d Decision) Headers() (policy, state string) {
	t := int64((d.Reset + time.Second - 1) / time.Second)
	policy = `"default";q=` + strconv.FormatInt(d.Policy.Limit, 10) + ";w=" + strconv.FormatInt(d.Policy.Seconds, 10)
	state = `"default";r=` + strconv.FormatInt(d.Remaining, 10) + ";t=" + strconv.FormatInt(t, 10)
	return policy, state
}

// Parse reads a rate limit given in a request body at field: absent (raw
// empty) is no change (set false), null is none, and anything else must be
// {"limit": N, "seconds": S} within bounds. Errors: Invalid, on field.
func Parse(raw json.RawMessage, field string) (p *Policy, set bool, err error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, true, nil
	}
	var v struct {
		Limit   *int64 `json:"limit"`
		Seconds *int64 `json:"seconds"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&v) != nil || v.Limit == nil || v.Seconds == nil {
		return nil, true, errs.E(errs.Invalid, field,
			`Must be null (no limit) or {"limit": requests, "seconds": window}, both integers.`)
	}
	p = &Policy{Limit: *v.Limit, Seconds: *v.Seconds}
	if err := p.Check(field); err != nil {
		return nil, true, err
	}
	return p, true, nil
}
