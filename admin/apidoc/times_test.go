package apidoc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

// answerTime is how every time in an answer is written: RFC 3339
// in UTC with exactly three fractional digits, so times sort as strings.
var answerTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`)

// timesSeen counts the times the conformance cases saw in answers by their
// milliseconds, so TestConformance can insist that the trailing zeros
// which time.RFC3339Nano drops (.000, .300) were among them.
type timesSeen struct{ whole, tenths, other int }

// checkTimes fails tb for every string in a's headers and JSON body that
// reads as an RFC 3339 time and is not written as answerTime.
func (k *checker) checkTimes(tb testing.TB, name string, a *testserver.Response) {
	tb.Helper()
	for key, vals := range a.Header {
		for _, v := range vals {
			k.checkTime(tb, name, "header "+key, v)
		}
	}
	if len(a.Body) == 0 || (a.Body[0] != '{' && a.Body[0] != '[') {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		tb.Errorf("%s: the answer is not JSON: %v", name, err)
		return
	}
	walkStrings(body, "body", func(path, s string) { k.checkTime(tb, name, path, s) })
}

func (k *checker) checkTime(tb testing.TB, name, where, s string) {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return
	}
	if !answerTime.MatchString(s) {
		tb.Errorf("%s: %s is the time %q, want RFC 3339 UTC with three fractional digits (%s)", name, where, s,
			t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		return
	}
	switch ms := t.Nanosecond() / int(time.Millisecond); {
	case ms == 0:
		k.times.whole++
	case ms%100 == 0:
		k.times.tenths++
	default:
		k.times.other++
	}
}

// walkStrings calls f with every string in v (a decoded JSON value) and
// where it is.
func walkStrings(v any, path string, f func(path, s string)) {
	switch v := v.(type) {
	case string:
		f(path, v)
	case map[string]any:
		for key, e := range v {
			walkStrings(e, path+"."+key, f)
		}
	case []any:
		for i, e := range v {
			walkStrings(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}
