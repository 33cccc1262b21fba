package webhooks

import (
	"testing"
	"time"
)

// The Standard Webhooks specification's published example: secret, id,
// timestamp and body, and the signature every library must produce.
func TestSignStandardVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		action   string
		want     bool
	}{
		{[]string{"app_token.*"}, "app_token.create", true},
		{[]string{"app_token.*"}, "app_token", false},
		{[]string{"app_token.*"}, "user.create", false},
		{[]string{"*.expired"}, "token.expired", true},
		{[]string{"token.expired"}, "token.expired", true},
		{[]string{"*"}, "login", true},
		{[]string{"*"}, "user.create", false},
		{[]string{"*.*", "*"}, "user.create", true},
	} {
		if got := Match(c.patterns, c.action); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.patterns, c.action, got, c.want)
		}
	}
}
