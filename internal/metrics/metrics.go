// Package metrics holds one App's Prometheus metrics in a registry of its
// own (not the global default, so tests that build many Apps do not
// collide): requests by route pattern and status, their latency by status
// class, login outcomes, token verification outcomes, the build, and
// whatever the App adds (verification cache, last_used flushes, password
// hashes, leaked tokens). Labels are route patterns, status
// codes and fixed words, never a path as sent, which may hold a pasted
// token string.
package metrics

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/latchkey/latchkey/internal/httpx"
)

// Metrics is one App's set of metrics.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	verifyAnswers  *prometheus.CounterVec
	introspections *prometheus.CounterVec

	// series caches the resolved children per method, route and status,
	// so a request costs two atomic adds and no label hashing.
	series sync.Map // seriesKey → *series

	storeLatency *prometheus.HistogramVec
	storeFaults  *prometheus.CounterVec
	storeOps     sync.Map // engine + "\x00" + operation → *StoreOp
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
	login   prometheus.Counter // nil unless the route is the login
	verify  prometheus.Counter // nil unless the route is /verify
}

// LoginRoute is the route pattern of login; its answers count as login
// outcomes.
const LoginRoute = "/api/v1/token"

// VerifyRoute is the route pattern of /verify (any method; VerifyRoute +
// "/*path" answers the paths below it); its answers count as verify
// answers.
const VerifyRoute = "/api/v1/verify"

// New returns the metrics with a fresh registry that also holds the Go
// runtime and process collectors and latchkey_build_info for version (the
// version the binary was built as; "" takes the module version Go recorded).
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		// The histogram is labelled by status class, not code: it has a
		// series per bucket, and the codes of a route would multiply them.
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latchkey_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status class (2xx, 4xx, 5xx).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status_class"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_logins_total",
			Help: "Password logins by outcome: success, failure (bad credentials), locked, invalid (bad input), unavailable (busy or store down), abandoned (the client hung up) or error.",
		}, []string{"outcome"}),
		verifyAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_verify_answers_total",
			Help: "Answers of /api/v1/verify (gateways and the verify package asking who is calling) by result: ok, unauthorized, forbidden (role too weak), invalid (bad query or credentials), abandoned (the client hung up), unavailable or error.",
		}, []string{"result"}),
		introspections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_introspections_total",
			Help: "Tokens introspected (POST /api/v1/introspect answered 200), by whether they were active.",
		}, []string{"active"}),
		storeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latchkey_store_operation_duration_seconds",
			Help:    "Time of a store call, by engine and operation (interface and method, e.g. apptokens.FindByID).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"engine", "operation"}),
		storeFaults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_store_errors_total",
			Help: "Store calls that failed, by engine, operation and code: unavailable (the store did not answer in time, or is gone) or internal (a bug or an unexpected driver error). Not found and conflict are answers, not errors.",
		}, []string{"engine", "operation", "code"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.logins, m.verifyAnswers, m.introspections, m.storeLatency, m.storeFaults, buildInfo(version),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is latchkey_build_info: always 1, labelled with the version,
// the Go version and the VCS revision the binary was built from.
func buildInfo(version string) prometheus.Collector {
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "latchkey_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "revision": revision},
	})
	g.Set(1)
	return g
}

// Counter adds a counter whose value f reads at scrape time.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// Gauge adds a gauge whose value f reads at scrape time.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// CounterTable adds a counter labelled by two labels and returns its child
// for every pair of values, resolved now: each series exists (at 0) from
// the start, and counting costs an index and an atomic add.
func (m *Metrics) CounterTable(name, help string, label1 string, values1 []string,
	label2 string, values2 []string) [][]prometheus.Counter {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label1, label2})
	m.Registry.MustRegister(vec)
	table := make([][]prometheus.Counter, len(values1))
	for i, v1 := range values1 {
		table[i] = make([]prometheus.Counter, len(values2))
		for j, v2 := range values2 {
			table[i][j] = vec.WithLabelValues(v1, v2)
		}
	}
	return table
}

// StoreOp is the metrics of one operation of one store engine.
type StoreOp struct {
	Latency     prometheus.Observer
	Unavailable prometheus.Counter
	Internal    prometheus.Counter
}

// StoreOp returns the metrics of operation on engine. Its series are made
// (at 0) on first use and kept, so a call costs one map read.
func (m *Metrics) StoreOp(engine, operation string) *StoreOp {
	k := engine + "\x00" + operation
	if v, ok := m.storeOps.Load(k); ok {
		return v.(*StoreOp)
	}
	v, _ := m.storeOps.LoadOrStore(k, &StoreOp{
		Latency:     m.storeLatency.WithLabelValues(engine, operation),
		Unavailable: m.storeFaults.WithLabelValues(engine, operation, "unavailable"),
		Internal:    m.storeFaults.WithLabelValues(engine, operation, "internal"),
	})
	return v.(*StoreOp)
}

// Observe counts one answered request. route is the route pattern ("" for
// an unmatched path).
func (m *Metrics) Observe(method, route string, status int, took time.Duration) {
	k := seriesKey{method: httpx.KnownMethod(method), route: route, status: status}
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
	if s.verify != nil {
		s.verify.Inc()
	}
}

// Introspected counts one introspection answered, active or not.
func (m *Metrics) Introspected(active bool) {
	m.introspections.WithLabelValues(strconv.FormatBool(active)).Inc()
}

func (m *Metrics) newSeries(k seriesKey) *series {
	s := &series{count: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		latency: m.latency.WithLabelValues(k.method, k.route, statusClass(k.status))}
	if k.method == http.MethodPost && k.route == LoginRoute {
		s.login = m.logins.WithLabelValues(loginOutcome(k.status))
	}
	if k.route == VerifyRoute || k.route == VerifyRoute+"/*path" {
		s.verify = m.verifyAnswers.WithLabelValues(verifyResult(k.status))
	}
	return s
}

// statusClass returns "2xx" for 200 to 299 and so on; anything outside 100
// to 599 is "other".
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

func loginOutcome(status int) string {
	switch status {
	case http.StatusOK:
		return "success"
	case http.StatusUnauthorized:
		return "failure"
	case http.StatusTooManyRequests:
		return "locked"
	}
	return otherOutcome(status)
}

func verifyResult(status int) string {
	switch {
	case status < 300:
		return "ok"
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusForbidden:
		return "forbidden"
	}
	return otherOutcome(status)
}

// otherOutcome names the statuses login and /verify outcomes share.
func otherOutcome(status int) string {
	switch {
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
