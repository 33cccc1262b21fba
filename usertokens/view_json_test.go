package usertokens

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/ended"
)

// TestViewAppendJSON keeps AppendJSON byte for byte equal to encoding/json,
// with every field set and with the optional ones empty; a field added to
// View without AppendJSON learning it fails here.
func TestViewAppendJSON(t *testing.T) {
	actor := "65f0c0ffee0000000000abcd"
	used := clock.Time(time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC))
	by := ended.Issuer
	full := View{ID: "65f0c0ffee0000000000aaaa", Kind: OBO, Name: `night "job" <b>&\ é` + "\x01\xff",
		User: "65f0c0ffee0000000000bbbb", Actor: &actor, AppTokenID: "65f0c0ffee0000000000cccc",
		Created: clock.Time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Expires: clock.Time(time.Date(2026, 1, 2, 0, 0, 0, 123_000_000, time.UTC)),
		Expired: true, EndedBy: &by, LastUsed: &used, Hint: "lku_k3v7x2ab_…wxyz", Scopes: []string{"a.read", "b"},
		RotatedFrom: &actor}
	rv := reflect.ValueOf(full)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Fatalf("the fixture leaves View.%s empty: set it, and teach AppendJSON the field", rv.Type().Field(i).Name)
		}
	}
	plain := View{ID: "65f0c0ffee0000000000aaaa", Kind: Login, User: "65f0c0ffee0000000000bbbb",
		AppTokenID: "65f0c0ffee0000000000cccc", Created: clock.Time(time.Unix(1_700_000_000, 0)), Expires: clock.Time(time.Unix(1_700_086_400, 0).In(time.FixedZone("", -5*3600)))}
	for name, v := range map[string]View{"full": full, "plain": plain} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
