package usage

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Granularity is the width of a series' points.
type Granularity string

// The granularities: an hour, or a UTC day.
const (
	Hour Granularity = "hour"
	Day  Granularity = "day"
)

// DefaultRange is the range asked for when none is given: the last 24 hours.
const DefaultRange = 24 * time.Hour

// Range is a time range [Since, Until).
type Range struct{ Since, Until time.Time }

// RangeOf returns the range of since and until (either may be zero),
// filled in from now: until defaults to now and since to DefaultRange
// before until. Errors: Invalid, when since is not before until or the
// range is longer than Retention.
func RangeOf(since, until, now time.Time) (Range, error) {
	if until.IsZero() {
		until = now
	}
	if since.IsZero() {
		since = until.Add(-DefaultRange)
	}
	if !since.Before(until) {
		return Range{}, errs.E(errs.Invalid, "since", "since must be before until.")
	}
	if until.Sub(since) > Retention {
		return Range{}, errs.E(errs.Invalid, "since", "The range may cover at most 90 days (2160 hours).")
	}
	return Range{Since: since.UTC(), Until: until.UTC()}, nil
}

// Point is one hour or day of a series.
type Point struct {
	Start       clock.Time `json:"start"`
	OK          int64      `json:"ok"`
	Denied      int64      `json:"denied"`
	RateLimited int64      `json:"rate_limited"`
}

func pointOf(start time.Time, c Counts) Point {
	return Point{Start: clock.Time(start), OK: c[OK], Denied: c[Denied], RateLimited: c[RateLimited]}
}

// Service reads the buckets.
type Service struct {
	Store Store
	Now   func() time.Time
}

// truncate returns the start of t's hour or UTC day.
func (g Granularity) truncate(t time.Time) time.Time {
	t = t.UTC()
	if g == Day {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

func (g Granularity) step() time.Duration {
	if g == Day {
		return 24 * time.Hour
	}
	return time.Hour
}

// Series returns app token id's counts over r, a point per hour or UTC day
// from the one holding r.Since to the last that starts before r.Until,
// every point counting its whole hour or day (zero when nothing was
// counted).
func (s *Service) Series(ctx context.Context, tenantID string, id ids.ID, r Range, g Granularity) ([]Point, error) {
	first, step := g.truncate(r.Since), g.step()
	n := int((r.Until.Sub(first) + step - 1) / step)
	end := first.Add(time.Duration(n) * step)
	hours, err := s.Store.Hours(ctx, tenantID, id, first, end)
	if err != nil {
		return nil, err
	}
	sums := make([]Counts, n)
	for _, b := range hours {
		i := int(b.Start.Sub(first) / step)
		if i >= 0 && i < n {
			sums[i].Add(b.Counts)
		}
	}
	points := make([]Point, n)
	for i := range points {
		points[i] = pointOf(first.Add(time.Duration(i)*step), sums[i])
	}
	return points, nil
}

// Top returns the limit app tokens of the tenant with the most requests in
// the hours of r (the hour holding r.Since to the last that starts before
// r.Until), most first (ties: the older token first).
func (s *Service) Top(ctx context.Context, tenantID string, r Range, limit int) ([]TokenCounts, error) {
	first := hourOf(r.Since)
	end := hourOf(r.Until)
	if end.Before(r.Until) {
		end = end.Add(time.Hour)
	}
	list, err := s.Store.Totals(ctx, tenantID, first, end)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b TokenCounts) int {
		if c := cmp.Compare(b.Counts.Total(), a.Counts.Total()); c != 0 {
			return c
		}
		return bytes.Compare(a.AppTokenID[:], b.AppTokenID[:])
	})
	return list[:min(limit, len(list))], nil
}
