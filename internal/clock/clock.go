// Package clock holds the rules about times: every engine keeps them in UTC
// to the millisecond (Stored), and every answer writes them in RFC 3339 UTC
// with exactly three fractional digits (Time, Format), so they sort as
// strings.
package clock

import (
	"errors"
	"time"
)

// Stored returns t in UTC at the stores' precision (milliseconds), so a time
// handed back at creation equals the one read later on every engine.
func Stored(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// Layout is how answers write a time: RFC 3339 with exactly three
// fractional digits, in UTC ("Z"). time.RFC3339Nano would drop trailing
// zeros (…40.3Z, …40Z), and such strings do not sort as the times do.
const Layout = "2006-01-02T15:04:05.000Z07:00"

// Format returns t as answers write it: in UTC, to the millisecond
// (truncated, as the stores keep it).
func Format(t time.Time) string { return t.UTC().Format(Layout) }

// Append appends Format(t) to b.
func Append(b []byte, t time.Time) []byte { return t.UTC().AppendFormat(b, Layout) }

// Time is a time as answers show it: its JSON is a string in Layout. It
// reads any RFC 3339 string (and null, which leaves it unchanged), as
// time.Time does. The views' time fields have this type; the stored
// domain types keep time.Time and convert (Time(t), (*Time)(p)) when shown.
type Time time.Time

// MarshalJSON writes t in Layout. Like time.Time's, it fails for a year
// that RFC 3339 cannot write.
func (t Time) MarshalJSON() ([]byte, error) {
	u := time.Time(t).UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, errors.New("clock.Time.MarshalJSON: year outside of range [0,9999]")
	}
	b := make([]byte, 0, len(Layout)+2)
	b = append(b, '"')
	b = u.AppendFormat(b, Layout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads any RFC 3339 string, as time.Time does.
func (t *Time) UnmarshalJSON(b []byte) error { return (*time.Time)(t).UnmarshalJSON(b) }

// String returns Format of t.
func (t Time) String() string { return Format(time.Time(t)) }
