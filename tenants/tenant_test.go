package tenants

import "testing"

func TestHumanSeconds(t *testing.T) {
	for n, want := range map[int64]string{7776000: "90 days", 86400: "1 day", 3600: "1 hour", 5400: "90 minutes", 61: "61 seconds", 1: "1 second", 0: "0 seconds"} {
		if got := HumanSeconds(n); got != want {
			t.Errorf("HumanSeconds(%d) = %q, want %q", n, got, want)
		}
	}
}
