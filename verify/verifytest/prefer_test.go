package verifytest

import "testing"

func TestReturnMinimal(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   bool
	}{
		{[]string{"return=minimal"}, true},
		{[]string{"respond-async, RETURN = minimal; x=1"}, true},
		{[]string{"return=minimal,wait=5"}, true},
		{[]string{"wait=5", "return=minimal"}, true},
		{nil, false},
		{[]string{""}, false},
		{[]string{"return=representation"}, false},
		{[]string{"return=minimalist"}, false},
		{[]string{"wait=5; return=minimal"}, false}, // a parameter of wait, not a preference
	} {
		if got := returnMinimal(c.values); got != c.want {
			t.Errorf("returnMinimal(%q) = %v, want %v", c.values, got, c.want)
		}
	}
}
