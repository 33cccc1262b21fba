package clock

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		name string
		in   time.Time
		want string
	}{
		{"a tenth", time.Date(2026, 12, 6, 17, 41, 40, 300_000_000, time.UTC), `"2026-12-06T17:41:40.300Z"`},
		{"a whole second", time.Date(2026, 12, 6, 17, 41, 40, 0, time.UTC), `"2026-12-06T17:41:40.000Z"`},
		{"a millisecond", time.Date(2026, 12, 6, 17, 41, 40, 301_000_000, time.UTC), `"2026-12-06T17:41:40.301Z"`},
		{"below a millisecond", time.Date(2026, 12, 6, 17, 41, 40, 301_999_999, time.UTC), `"2026-12-06T17:41:40.301Z"`},
		{"another zone", time.Date(2026, 12, 7, 0, 30, 0, 50_000_000, paris), `"2026-12-06T23:30:00.050Z"`},
		{"zero", time.Time{}, `"0001-01-01T00:00:00.000Z"`},
	} {
		got, err := json.Marshal(Time(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v, want %s", c.name, got, err, c.want)
		}
		if s := Format(c.in); `"`+s+`"` != c.want {
			t.Errorf("%s: Format got %s, want %s", c.name, s, c.want)
		}
		if s := string(Append([]byte("x"), c.in)); s != "x"+Format(c.in) {
			t.Errorf("%s: Append got %s, want x%s", c.name, s, Format(c.in))
		}
	}
	// In a view: a pointer, and null.
	at := Time(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	got, _ := json.Marshal(struct {
		A *Time `json:"a"`
		B *Time `json:"b"`
	}{A: &at})
	if string(got) != `{"a":"2026-01-02T03:04:05.000Z","b":null}` {
		t.Errorf("pointers: got %s", got)
	}
	if _, err := json.Marshal(Time(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))); err == nil {
		t.Error("year 10000: got no error")
	}
}

func TestTimeReadsAnyRFC3339(t *testing.T) {
	want := time.Date(2026, 12, 6, 17, 41, 40, 300_000_000, time.UTC)
	for _, in := range []string{`"2026-12-06T17:41:40.3Z"`, `"2026-12-06T17:41:40.300Z"`, `"2026-12-06T18:41:40.3+01:00"`,
		`"2026-12-06T17:41:40.300000000Z"`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || !time.Time(got).Equal(want) {
			t.Errorf("%s: got %v, %v, want %v", in, time.Time(got), err, want)
		}
	}
	var got Time
	if err := json.Unmarshal([]byte(`"2026-12-06"`), &got); err == nil {
		t.Error("a date alone: got no error")
	}
	got = Time(want)
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || !time.Time(got).Equal(want) {
		t.Errorf("null: got %v, %v, want it unchanged", time.Time(got), err)
	}
}
