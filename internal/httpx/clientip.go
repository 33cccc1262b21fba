package httpx

import (
	"net"
	"net/http"
	"strings"
)

// ClientIPs finds a request's client address the way Gin's
// Context.ClientIP does for an engine whose SetTrustedProxies was given
// the same list (and whose other settings are Gin's defaults: no trusted
// platform, X-Forwarded-For then X-Real-IP), so that the access log lines
// of requests served without Gin (admin's lean path) name the same ip.
type ClientIPs struct {
	trusted []*net.IPNet
}

// NewClientIPs parses trusted (IP addresses and CIDRs, as
// server.trusted_proxies lists them) as Gin's SetTrustedProxies does.
func NewClientIPs(trusted []string) (*ClientIPs, error) {
	c := &ClientIPs{}
	for _, s := range trusted {
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, &net.ParseError{Type: "IP address", Text: s}
			}
			if ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, err
		}
		c.trusted = append(c.trusted, n)
	}
	return c, nil
}

// Of returns r's client address: the peer's, or, when the peer is a
// trusted proxy (or the server listens on a unix socket), the last address
// of X-Forwarded-For (else X-Real-IP) that is not a trusted proxy's.
func (c *ClientIPs) Of(r *http.Request) string {
	var remote net.IP
	trusted := false
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && strings.HasPrefix(a.Network(), "unix") {
		trusted = true
	}
	if !trusted {
		host, _, err := net.SplitHostPort(strings.TrimSpace(r.RemoteAddr))
		if err != nil {
			host = ""
		}
		if remote = net.ParseIP(host); remote == nil {
			return ""
		}
		trusted = c.isTrusted(remote)
	}
	if trusted {
		for _, name := range [...]string{"X-Forwarded-For", "X-Real-IP"} {
			if ip, ok := c.forwarded(strings.Join(r.Header.Values(name), ",")); ok {
				return ip
			}
		}
	}
	return remote.String()
}

func (c *ClientIPs) isTrusted(ip net.IP) bool {
	for _, n := range c.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// forwarded reads a forwarding header's list from its end, skipping
// trusted proxies.
func (c *ClientIPs) forwarded(header string) (string, bool) {
	if header == "" {
		return "", false
	}
	items := strings.Split(header, ",")
	for i := len(items) - 1; i >= 0; i-- {
		s := strings.TrimSpace(items[i])
		ip := net.ParseIP(s)
		if ip == nil {
			break
		}
		if i == 0 || !c.isTrusted(ip) {
			return s, true
		}
	}
	return "", false
}
