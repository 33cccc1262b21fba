package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits of a delivery attempt.
const (
	Timeout     = 10 * time.Second
	MaxResponse = 4 << 10 // bytes of the answer read
	maxURL      = 2048
)

// Hosts are the hosts of webhooks.allow_hosts: plain http to them is
// accepted, and any address they resolve to is dialled, private or not.
// Names compare without case; an IP is written as in a URL.
type Hosts map[string]bool

// NewHosts makes Hosts of the configured list.
func NewHosts(list []string) Hosts {
	h := Hosts{}
	for _, s := range list {
		h[strings.ToLower(strings.Trim(s, "[]"))] = true
	}
	return h
}

// ErrRefusedAddress is the dial error of an address no webhook may reach.
var ErrRefusedAddress = errors.New("webhooks: refused to dial a loopback, private, link-local or metadata address")

// refused are the ranges a delivery never dials unless its host is
// allowed, beyond those net/netip names (loopback, private, link-local,
// multicast, unspecified).
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (carrier NAT)
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 of any IPv4 address
}

// Forbidden reports whether ip is an address no webhook reaches by
// default: loopback, private, link-local (the cloud metadata address
// 169.254.169.254 among them), multicast, unspecified or reserved.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return true
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// control refuses, before the socket connects, an address Forbidden names:
// it sees the address actually dialled, after name resolution.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Forbidden(ap.Addr()) {
		return ErrRefusedAddress
	}
	return nil
}

// DialContext dials addr, refusing forbidden addresses unless addr's host
// is allowed.
func (h Hosts) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: Timeout, Control: control}
	if host, _, err := net.SplitHostPort(addr); err == nil && h[strings.ToLower(host)] {
		d.Control = nil
	}
	return d.DialContext(ctx, network, addr)
}

// Client returns the HTTP client of deliveries: no proxy, no redirect
// followed, Timeout for the whole attempt, and the guarded dialer.
func (h Hosts) Client() *http.Client {
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{DialContext: h.DialContext, TLSHandshakeTimeout: Timeout,
			ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckURL returns the message for raw when no webhook may use it: not
// https (or http to an allowed host), without a host, with credentials,
// too long, or an IP literal Forbidden names that is not allowed. ""
// when it may be used. Names are checked again on every dial.
func (h Hosts) CheckURL(raw string) string {
	if len(raw) > maxURL {
		return fmt.Sprintf("At most %d characters.", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "An absolute https URL is required."
	}
	if u.User != nil {
		return "A URL with credentials in it is not accepted; authenticate the receiver by the signature."
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && h[host]:
	case u.Scheme == "http":
		return "Only https URLs are accepted (http only to hosts in webhooks.allow_hosts)."
	default:
		return "An absolute https URL is required."
	}
	if ip, err := netip.ParseAddr(host); err == nil && Forbidden(ip) && !h[host] {
		return "A loopback, private, link-local or metadata address is not accepted."
	}
	return ""
}
