package errs_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/errs"
)

func TestE(t *testing.T) {
	e := errs.E(errs.NotFound, "user", "No such user.")
	if e.Code != errs.NotFound || len(e.Fields) != 1 || e.Fields["user"] != "No such user." {
		t.Errorf("got %+v, want not_found with user: No such user.", e)
	}
	if got, want := e.Error(), "not_found: user: No such user."; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
	if got, want := (&errs.Error{Code: errs.Internal}).Error(), "internal"; got != want {
		t.Errorf("Error() without fields: got %q, want %q", got, want)
	}
}

func TestFields(t *testing.T) {
	if err := errs.Fields(nil); err != nil {
		t.Errorf("Fields(nil): got %v, want nil", err)
	}
	if err := errs.Fields(map[string]string{}); err != nil {
		t.Errorf("Fields(empty): got %v, want nil", err)
	}
	in := map[string]string{"a": "A.", "b": "B."}
	err := errs.Fields(in)
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || len(e.Fields) != 2 || e.Fields["a"] != "A." || e.Fields["b"] != "B." {
		t.Fatalf("got %#v, want invalid with both fields", err)
	}
	in["c"] = "C."
	if len(e.Fields) != 2 {
		t.Errorf("the error shares the caller's map: got %v", e.Fields)
	}
}

func TestLock(t *testing.T) {
	e := errs.Lock("credentials", "Locked.", 90*time.Second)
	if e.Code != errs.Locked || e.RetryAfter != 90*time.Second || e.Fields["credentials"] != "Locked." {
		t.Errorf("got %+v, want locked for 90s", e)
	}
}

func TestCodeOf(t *testing.T) {
	cause := errors.New("socket closed")
	wrapped := fmt.Errorf("find user: %w", &errs.Error{Code: errs.Unavailable, Cause: cause})
	cases := []struct {
		name string
		err  error
		want errs.Code
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("boom"), errs.Internal},
		{"coded", errs.E(errs.Conflict, "slug", "Taken."), errs.Conflict},
		{"wrapped", wrapped, errs.Unavailable},
		{"joined", errors.Join(errors.New("x"), errs.E(errs.Forbidden, "p", "No.")), errs.Forbidden},
	}
	for _, tc := range cases {
		if got := errs.CodeOf(tc.err); got != tc.want {
			t.Errorf("%s: CodeOf: got %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" && !errs.Is(tc.err, tc.want) {
			t.Errorf("%s: Is(%q): got false, want true", tc.name, tc.want)
		}
	}
	if errs.Is(wrapped, errs.NotFound) {
		t.Error("Is(unavailable, not_found): got true, want false")
	}
	if !errors.Is(wrapped, cause) {
		t.Error("errors.Is does not reach the cause through Unwrap")
	}
	if _, ok := errs.As(errors.New("plain")); ok {
		t.Error("As(plain error): got true, want false")
	}
	if e, ok := errs.As(wrapped); !ok || e.Code != errs.Unavailable {
		t.Errorf("As(wrapped): got %v, %v, want the unavailable error", e, ok)
	}
}

func TestJoin(t *testing.T) {
	a := errs.E(errs.Invalid, "limit", "bad limit")
	b := errs.Fields(map[string]string{"user": "bad user"})
	got, ok := errs.As(errs.Join(nil, a, b))
	if !ok || got.Code != errs.Invalid || got.Fields["limit"] != "bad limit" || got.Fields["user"] != "bad user" {
		t.Fatalf("Join of two Invalid errors: got %#v, want both fields", got)
	}
	if err := errs.Join(nil, nil); err != nil {
		t.Errorf("Join of nils: got %v, want nil", err)
	}
	nf := errs.E(errs.NotFound, "user", "gone")
	if got := errs.Join(a, nf); got != error(nf) {
		t.Errorf("Join with a NotFound: got %v, want the NotFound itself", got)
	}
}
