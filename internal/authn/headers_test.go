package authn

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/internal/errs"
)

func TestUserTokenOf(t *testing.T) {
	cases := []struct {
		header [][2]string
		want   string
		two    bool
	}{
		{[][2]string{{"Token", "lku_a"}}, "lku_a", false},
		{[][2]string{{"Authorization", "Token lku_b"}}, "lku_b", false},
		{[][2]string{{"Authorization", "Bearer lku_c"}}, "lku_c", false},
		{[][2]string{{"Authorization", "bearer  lku_d "}}, "lku_d", false},
		{[][2]string{{"Authorization", "Basic dTpw"}}, "", false},
		{[][2]string{{"Authorization", "Bearer"}}, "", false},
		{nil, "", false},
		// The same token twice is one credential.
		{[][2]string{{"Token", "lku_e"}, {"Authorization", "Bearer lku_e"}}, "lku_e", false},
		{[][2]string{{"Token", "lku_e"}, {"Token", "lku_e"}}, "lku_e", false},
		// Two different ones are refused, never "first one wins".
		{[][2]string{{"Token", "lku_e"}, {"Authorization", "Bearer lku_f"}}, "", true},
		{[][2]string{{"Token", "lku_e"}, {"Token", "lku_f"}}, "", true},
		{[][2]string{{"Authorization", "Token lku_e"}, {"Authorization", "Bearer lku_f"}}, "", true},
		{[][2]string{{"Authorization", "Basic dTpw"}, {"Token", "lku_g"}}, "lku_g", false},
	}
	for _, tc := range cases {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		for _, h := range tc.header {
			c.Request.Header.Add(h[0], h[1])
		}
		got, err := UserTokenOf(c)
		if got != tc.want || (err != nil) != tc.two {
			t.Errorf("%v: got %q, %v; want %q, two tokens %v", tc.header, got, err, tc.want, tc.two)
		}
		if tc.two && !errs.Is(err, errs.Invalid) {
			t.Errorf("%v: got %v, want Invalid", tc.header, err)
		}
	}
}

func TestAppTokenOf(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want string
		two  bool
	}{{nil, "", false}, {[]string{"lka_a"}, "lka_a", false}, {[]string{"lka_a", "lka_a"}, "lka_a", false},
		{[]string{"lka_a", "lka_b"}, "", true}, {[]string{"lka_a", ""}, "", true}} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/", nil)
		for _, v := range tc.vals {
			c.Request.Header.Add(AppTokenHeader, v)
		}
		got, err := AppTokenOf(c)
		if got != tc.want || (err != nil) != tc.two || tc.two && !errs.Is(err, errs.Invalid) {
			t.Errorf("%v: got %q, %v; want %q, two %v", tc.vals, got, err, tc.want, tc.two)
		}
	}
}
