// Package metrics holds one App's Prometheus metrics in a registry of its
// own (not the global default, so tests that build many Apps do not
// collide): requests by route pattern and status, their latency, login
// outcomes, and whatever counters the App adds (verification cache, last_used
// flushes). Labels are route patterns and status codes, never a path as sent,
// which may hold a pasted token string.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one App's set of metrics.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	logins   *prometheus.CounterVec

	// series caches the resolved children per method, route and status,
	// so a request costs two atomic adds and no label hashing.
	series sync.Map // seriesKey → *series
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
	login   prometheus.Counter // nil unless the route is the login
}

// LoginRoute is the route pattern of login; its answers count as login
// outcomes.
const LoginRoute = "/api/v1/token"

// New returns the metrics with a fresh registry that also holds the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latchkey_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_logins_total",
			Help: "Password logins by outcome: success, failure (bad credentials), locked, invalid (bad input), unavailable (busy or store down), abandoned (the client hung up) or error.",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.logins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Counter adds a counter whose value f reads at scrape time.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// Gauge adds a gauge whose value f reads at scrape time.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Observe counts one answered request. route is the route pattern ("" for
// an unmatched path).
func (m *Metrics) Observe(method, route string, status int, took time.Duration) {
	k := seriesKey{method: knownMethod(method), route: route, status: status}
	if k.route == "" {
		k.route = "(unmatched)"
	}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, m.newSeries(k))
	}
	s := v.(*series)
	s.count.Inc()
	s.latency.Observe(took.Seconds())
	if s.login != nil {
		s.login.Inc()
	}
}

func (m *Metrics) newSeries(k seriesKey) *series {
	code := strconv.Itoa(k.status)
	s := &series{count: m.requests.WithLabelValues(k.method, k.route, code),
		latency: m.latency.WithLabelValues(k.method, k.route, code)}
	if k.method == http.MethodPost && k.route == LoginRoute {
		s.login = m.logins.WithLabelValues(loginOutcome(k.status))
	}
	return s
}

func loginOutcome(status int) string {
	switch {
	case status == http.StatusOK:
		return "success"
	case status == http.StatusUnauthorized:
		return "failure"
	case status == http.StatusTooManyRequests:
		return "locked"
	case status == 499: // the client hung up (httpx.StatusClientClosed)
		return "abandoned"
	case status == http.StatusServiceUnavailable:
		return "unavailable"
	case status < 500:
		return "invalid"
	default:
		return "error"
	}
}

// knownMethod keeps the method label's values few: a client can send any
// method name.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
