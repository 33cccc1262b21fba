package httpx

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// ClientIPs finds the address Gin's ClientIP finds, for every kind of
// trusted proxy list and forwarding header.
func TestClientIPsAsGin(t *testing.T) {
	lists := [][]string{nil, {"127.0.0.1"}, {"10.0.0.0/8", "::1"}, {"192.0.2.1", "10.0.0.0/8"}}
	reqs := []struct{ remote, xff, realIP string }{
		{"127.0.0.1:4000", "", ""},
		{"127.0.0.1:4000", "203.0.113.9", ""},
		{"127.0.0.1:4000", "203.0.113.9, 10.1.1.1", ""},
		{"10.2.2.2:4000", "203.0.113.9, 10.1.1.1, 192.0.2.1", ""},
		{"10.2.2.2:4000", "not-an-ip, 10.1.1.1", "198.51.100.7"},
		{"[::1]:4000", "2001:db8::1", ""},
		{"192.0.2.1:80", "", "198.51.100.7"},
		{"garbage", "203.0.113.9", ""},
	}
	for _, list := range lists {
		ips, err := NewClientIPs(list)
		if err != nil {
			t.Fatal(err)
		}
		engine := gin.New()
		if err := engine.SetTrustedProxies(list); err != nil {
			t.Fatal(err)
		}
		for _, rq := range reqs {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = rq.remote
			if rq.xff != "" {
				r.Header.Set("X-Forwarded-For", rq.xff)
			}
			if rq.realIP != "" {
				r.Header.Set("X-Real-IP", rq.realIP)
			}
			c := gin.CreateTestContextOnly(httptest.NewRecorder(), engine)
			c.Request = r
			if got, want := ips.Of(r), c.ClientIP(); got != want {
				t.Errorf("trusted %v, %+v: got %q, want Gin's %q", list, rq, got, want)
			}
		}
	}
	if _, err := NewClientIPs([]string{"not-an-ip"}); err == nil {
		t.Error("NewClientIPs took a list Gin refuses")
	}
}
