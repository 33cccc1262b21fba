package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// measureConfig is the configuration of `loadgen measure`.
type measureConfig struct {
	base    *url.URL
	fixture *fixture
	parts   []string
	// samples per side of each comparison (verification, login, unknown
	// username against wrong password), listSamples per list page.
	samples, listSamples int
	// writes is how long each write run lasts, with writeWorkers concurrent
	// token creations or loginWorkers concurrent logins.
	writes                     time.Duration
	writeWorkers, loginWorkers int
	// rounds over every tenant of the fixture in the tenants part.
	rounds int
}

var measureParts = []string{"verify", "login", "lists", "writes", "tenants"}

func parseMeasure(args []string) (measureConfig, error) {
	var c measureConfig
	fs := flag.NewFlagSet("loadgen measure", flag.ContinueOnError)
	raw := fs.String("url", "http://127.0.0.1:8080", "base URL of latchkey serve (loopback only)")
	fixtureFile := fs.String("fixture", "", "fixture written by `loadgen populate` for the serve's data directory")
	parts := fs.String("parts", "verify,login,lists,writes", "measurements to run, of "+strings.Join(measureParts, ","))
	fs.IntVar(&c.samples, "samples", 200, "requests on each side of a comparison")
	fs.IntVar(&c.listSamples, "list-samples", 100, "requests per list page")
	fs.DurationVar(&c.writes, "writes", 10*time.Second, "length of each write run")
	fs.IntVar(&c.writeWorkers, "write-workers", 4, "concurrent token creations in the write runs")
	fs.IntVar(&c.loginWorkers, "login-workers", 2, "concurrent logins in the write runs")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds over every tenant in the tenants part")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	u, err := parseBase(*raw)
	if err != nil {
		return c, err
	}
	c.base = u
	if *fixtureFile == "" {
		return c, errors.New("-fixture is required")
	}
	if c.fixture, err = readFixture(*fixtureFile); err != nil {
		return c, err
	}
	for p := range strings.SplitSeq(*parts, ",") {
		if !slices.Contains(measureParts, p) {
			return c, fmt.Errorf("-parts: unknown part %q", p)
		}
		c.parts = append(c.parts, p)
	}
	switch {
	case c.samples < 2 || c.samples > 100000 || c.listSamples < 1 || c.listSamples > 100000:
		return c, errors.New("-samples must be between 2 and 100000, -list-samples between 1 and 100000")
	case c.writes <= 0 || c.writes > 10*time.Minute:
		return c, errors.New("-writes must be between 0 and 10m")
	case c.writeWorkers < 1 || c.writeWorkers > 256 || c.loginWorkers < 1 || c.loginWorkers > 64:
		return c, errors.New("-write-workers must be between 1 and 256, -login-workers between 1 and 64")
	case c.rounds < 1 || c.rounds > 100:
		return c, errors.New("-rounds must be between 1 and 100")
	}
	return c, nil
}

// runMeasure is `loadgen measure`.
func runMeasure(args []string, out io.Writer) error {
	c, err := parseMeasure(args)
	if err != nil {
		return err
	}
	m := &measurer{measureConfig: c, out: out, client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute, DisableCompression: true}}}
	for _, p := range c.parts {
		var err error
		switch p {
		case "verify":
			err = m.verify()
		case "login":
			err = m.logins()
		case "lists":
			err = m.lists()
		case "writes":
			err = m.writeRuns()
		case "tenants":
			err = m.tenantRounds()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	m.sum.print(out)
	return nil
}

// measurer runs the measurements of one `loadgen measure`.
type measurer struct {
	measureConfig
	out    io.Writer
	client *http.Client
	sum    summary
}

// request builds a request to path (with its query) carrying the tenant's
// App-Token and, when token is set, the user token. A string body is sent
// as a form when it looks like one, else as JSON.
func (m *measurer) request(method, path, appToken, token, body string) *http.Request {
	u := *m.base
	p, q, _ := strings.Cut(path, "?")
	u.Path, u.RawQuery = strings.TrimRight(u.Path, "/")+p, q
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		panic(err) // the URL was checked at start
	}
	if body != "" {
		ct := "application/json"
		if !strings.HasPrefix(body, "{") {
			ct = "application/x-www-form-urlencoded"
		}
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("App-Token", appToken)
	if token != "" {
		r.Header.Set("Token", token)
	}
	return r
}

// send sends r and reads the whole answer, timing both.
func (m *measurer) send(r *http.Request) (int, []byte, time.Duration, error) {
	t0 := time.Now()
	resp, err := m.client.Do(r)
	if err != nil {
		return 0, nil, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b, time.Since(t0), err
}

// series sends n requests of each maker, one at a time, alternating
// between the makers so that both see the same moments of a shared
// machine, and returns each maker's latencies. Which maker goes first in a
// round is random: a fixed rotation lets anything periodic on the server
// (a garbage collection every fourth password hash, say) fall on one maker
// in every round. Any answer but want fails it.
func (m *measurer) series(n, want int, makers ...func(i int) *http.Request) ([][]time.Duration, error) {
	lat := make([][]time.Duration, len(makers))
	for i := range n {
		first := rand.IntN(len(makers))
		for k := range makers {
			j := (first + k) % len(makers)
			r := makers[j](i)
			code, body, d, err := m.send(r)
			if err != nil {
				return nil, err
			}
			if code != want {
				return nil, fmt.Errorf("%s %s: got %d, want %d: %s", r.Method, r.URL.RequestURI(), code, want, bytes.TrimSpace(body))
			}
			lat[j] = append(lat[j], d)
		}
	}
	return lat, nil
}

// compare prints two samples' percentiles and their Mann–Whitney z.
func (m *measurer) compare(title, nameA, nameB string, a, b []time.Duration) {
	fmt.Fprintf(m.out, "\n%s (%d requests each, alternating)\n", title, len(a))
	fmt.Fprintf(m.out, "%-34s %9s %9s %9s %9s\n", "", "p50", "p90", "p99", "max")
	for _, s := range []struct {
		name string
		lat  []time.Duration
	}{{nameA, a}, {nameB, b}} {
		fmt.Fprintf(m.out, "%-34s %9s %9s %9s %9s\n", s.name, us(pct(s.lat, .5)), us(pct(s.lat, .9)), us(pct(s.lat, .99)), us(pct(s.lat, 1)))
	}
	fmt.Fprintf(m.out, "p50 ratio %.2f, Mann–Whitney z %+.2f\n", ratioOf(pct(a, .5), pct(b, .5)), mannWhitneyZ(a, b))
}

func ratioOf(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// cacheCounts reads the serve's cache hit and miss counters.
func (m *measurer) cacheCounts() (hits, misses float64, err error) {
	s, err := scrape(m.client, m.base)
	return s[metricHits], s[metricMisses], err
}

// verify compares uncached verification (GET /api/v1/token with a random
// token of the tenant) in the big tenant against the small one. It is
// meant for a serve with cache.ttl 0, and reports the cache hits it saw.
func (m *measurer) verify() error {
	big, small, err := m.bigSmall()
	if err != nil {
		return err
	}
	get := func(t *fixtureTenant) func(int) *http.Request {
		return func(int) *http.Request {
			return m.request(http.MethodGet, "/api/v1/token/", t.AppToken, t.TokenSecrets[rand.IntN(len(t.TokenSecrets))], "")
		}
	}
	if _, err := m.series(20, http.StatusOK, get(big), get(small)); err != nil { // warm-up: files opened, statements prepared
		return err
	}
	hits0, misses0, err := m.cacheCounts()
	if err != nil {
		return err
	}
	lat, err := m.series(m.samples, http.StatusOK, get(big), get(small))
	if err != nil {
		return err
	}
	hits, misses, err := m.cacheCounts()
	if err != nil {
		return err
	}
	m.compare("Verification, GET /api/v1/token/ with a random token", m.label(big, "tokens"), m.label(small, "tokens"), lat[0], lat[1])
	fmt.Fprintf(m.out, "cache during the run: %.0f hits, %.0f misses\n", hits-hits0, misses-misses0)
	uncached := "uncached"
	if hits > hits0 {
		uncached = "CACHED (serve runs with a cache: the figures are not of the store)"
		fmt.Fprintln(m.out, "warning: the serve answered from its cache; run it with LATCHKEY_CACHE_TTL=0")
	}
	r := ratioOf(pct(lat[0], .5), pct(lat[1], .5))
	m.sum.add(fmt.Sprintf("verification p50 (%s), %d tokens in the tenant / %d", uncached, big.Tokens, small.Tokens),
		fmt.Sprintf("**%.2f×** (%s vs %s; z %+.1f)", r, ms(pct(lat[0], .5)), ms(pct(lat[1], .5)), mannWhitneyZ(lat[0], lat[1])), "≤ 1.2×", r <= 1.2)
	return nil
}

func (m *measurer) label(t *fixtureTenant, what string) string {
	n := t.Tokens
	if what == "users" {
		n = t.Users + 1 // and the owner
	}
	return fmt.Sprintf("%s tenant, %d %s", t.Name, n, what)
}

func (m *measurer) bigSmall() (*fixtureTenant, *fixtureTenant, error) {
	big, err := m.fixture.tenant("big")
	if err != nil {
		return nil, nil, err
	}
	small, err := m.fixture.tenant("small")
	return big, small, err
}

// loginBody is a login form.
func loginBody(username, password string) string {
	return url.Values{"username": {username}, "password": {password}}.Encode()
}

// logins compares a login (the right password of a random user) in the
// big tenant against the small one, then, in the big tenant, an unknown
// username against a wrong password: these must cost the same, or the
// time of a failed login tells which usernames exist.
func (m *measurer) logins() error {
	big, small, err := m.bigSmall()
	if err != nil {
		return err
	}
	// The first half of the big tenant's sampled users log in, the second
	// half get the wrong passwords (one each, far below the lockout).
	half := len(big.Usernames) / 2
	if half < 1 {
		return errors.New("the big tenant's fixture has too few users")
	}
	pw := m.fixture.Password
	login := func(t *fixtureTenant, names []string) func(int) *http.Request {
		return func(i int) *http.Request {
			return m.request(http.MethodPost, "/api/v1/token/", t.AppToken, "", loginBody(names[i%len(names)], pw))
		}
	}
	lat, err := m.series(m.samples, http.StatusOK, login(big, big.Usernames[:half]), login(small, small.Usernames))
	if err != nil {
		return err
	}
	m.compare("Login, POST /api/v1/token/ with the right password", m.label(big, "users"), m.label(small, "users"), lat[0], lat[1])
	r := ratioOf(pct(lat[0], .5), pct(lat[1], .5))
	m.sum.add(fmt.Sprintf("login p50, %d users in the tenant / %d", big.Users+1, small.Users+1),
		fmt.Sprintf("**%.2f×** (%s vs %s; z %+.1f)", r, ms(pct(lat[0], .5)), ms(pct(lat[1], .5)), mannWhitneyZ(lat[0], lat[1])), "≤ 1.2×", r <= 1.2)

	wrong := big.Usernames[half:]
	if len(wrong) < m.samples {
		fmt.Fprintf(m.out, "note: %d sampled users for %d wrong passwords; some get more than one\n", len(wrong), m.samples)
	}
	lat, err = m.series(m.samples, http.StatusUnauthorized,
		func(int) *http.Request {
			return m.request(http.MethodPost, "/api/v1/token/", big.AppToken, "", loginBody(fmt.Sprintf("ghost%012x", rand.Uint64()>>16), pw))
		},
		func(i int) *http.Request {
			return m.request(http.MethodPost, "/api/v1/token/", big.AppToken, "", loginBody(wrong[i%len(wrong)], "wrong-"+pw))
		})
	if err != nil {
		return err
	}
	m.compare(fmt.Sprintf("Failed login in the big tenant (%d users)", big.Users+1), "unknown username", "known username, wrong password", lat[0], lat[1])
	z := mannWhitneyZ(lat[0], lat[1])
	m.sum.add("failed login p50, unknown username / wrong password",
		fmt.Sprintf("**%.2f×** (%s vs %s), Mann–Whitney z %+.2f over %d each", ratioOf(pct(lat[0], .5), pct(lat[1], .5)),
			ms(pct(lat[0], .5)), ms(pct(lat[1], .5)), z, len(lat[0])), "as costly: z within ±1.96", z > -1.96 && z < 1.96)
	return nil
}

// lists times pages of the big tenant's token list and audit log, the
// pages taking turns, as its owner.
func (m *measurer) lists() error {
	big, err := m.fixture.tenant("big")
	if err != nil {
		return err
	}
	token, err := m.login(big, big.Owner)
	if err != nil {
		return err
	}
	users := big.UserIDs
	if len(users) == 0 {
		return errors.New("the big tenant's fixture has no users")
	}
	now := time.Now().UTC()
	since := func(d time.Duration) string { return url.QueryEscape(now.Add(-d).Format(time.RFC3339)) }
	pages := []struct {
		name, path string
		goal       bool
	}{
		{fmt.Sprintf("GET /tokens/?user={owner} (%d tokens)", big.OwnerTokens), "/api/v1/tokens/?user=" + big.OwnerID, true},
		{"GET /tokens/?user={a user}", "/api/v1/tokens/?user=%u", true},
		{"GET /tokens/", "/api/v1/tokens/", true},
		{"GET /tokens/?active=true&kind=personal", "/api/v1/tokens/?active=true&kind=personal", true},
		{"GET /audit/", "/api/v1/audit/", true},
		{"GET /audit/?action=token.create", "/api/v1/audit/?action=token.create", true},
		{"GET /audit/?action=user.create", "/api/v1/audit/?action=user.create", true},
		{"GET /audit/?since={1 h ago}", "/api/v1/audit/?since=" + since(time.Hour), true},
		{"GET /audit/?since={29 days ago}", "/api/v1/audit/?since=" + since(29*24*time.Hour), true},
		{"GET /audit/?action=login&since={7 days ago}", "/api/v1/audit/?action=login&since=" + since(7*24*time.Hour), true},
		{"GET /audit/?user={a user}", "/api/v1/audit/?user=%u", true},
		{"GET /audit/?cursor={middle of the log}", "/api/v1/audit/?cursor=" + big.AuditMiddle, true},
		{"GET /audit/?limit=500", "/api/v1/audit/?limit=500", false},
	}
	makers := make([]func(int) *http.Request, len(pages))
	for k, p := range pages {
		makers[k] = func(i int) *http.Request {
			return m.request(http.MethodGet, strings.ReplaceAll(p.path, "%u", users[i%len(users)]), big.AppToken, token, "")
		}
	}
	items := make([]int, len(pages)) // items in each page's first answer
	for k := range pages {
		code, body, _, err := m.send(makers[k](0))
		if err != nil {
			return err
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
			return fmt.Errorf("%s: got %d: %s", pages[k].name, code, bytes.TrimSpace(body))
		}
		items[k] = len(list.Items)
	}
	lat, err := m.series(m.listSamples, http.StatusOK, makers...)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.out, "\nList pages in the big tenant (%d tokens, %d audit records), %d requests each, taking turns\n",
		big.Tokens, big.Audit, m.listSamples)
	fmt.Fprintf(m.out, "%-46s %6s %9s %9s %9s\n", "", "items", "p50", "p90", "p99")
	for k, p := range pages {
		fmt.Fprintf(m.out, "%-46s %6d %9s %9s %9s\n", p.name, items[k], us(pct(lat[k], .5)), us(pct(lat[k], .9)), us(pct(lat[k], .99)))
		goal := ""
		if p.goal {
			goal = "≤ 20 ms"
		}
		m.sum.add(fmt.Sprintf("%s p50 (%d items)", p.name, items[k]), ms(pct(lat[k], .5)), goal, pct(lat[k], .5) <= 20*time.Millisecond)
	}
	return nil
}

// login logs username of t in and returns its token.
func (m *measurer) login(t *fixtureTenant, username string) (string, error) {
	code, body, _, err := m.send(m.request(http.MethodPost, "/api/v1/token/", t.AppToken, "", loginBody(username, m.fixture.Password)))
	if err != nil {
		return "", err
	}
	var s struct {
		Token string `json:"token"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &s) != nil || s.Token == "" {
		return "", fmt.Errorf("log in as %s in %s: got %d: %s", username, t.Name, code, bytes.TrimSpace(body))
	}
	return s.Token, nil
}

// writeRuns measures token creations (POST /api/v1/tokens/, each a token
// and an audit record written) and logins (argon2id, a lockout claim, a
// token and an audit record) per second, on the first write tenant and
// spread over all of them (each request to the next tenant in turn).
func (m *measurer) writeRuns() error {
	ws := m.fixture.writeTenants()
	if len(ws) == 0 {
		return errors.New("the fixture has no write tenants")
	}
	tokens := make([]string, len(ws))
	for i, t := range ws {
		var err error
		if tokens[i], err = m.login(t, t.Owner); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.out, "\nWrites, %s per run\n", m.writes)
	fmt.Fprintf(m.out, "%-62s %10s %10s %9s %9s %9s %8s %7s %10s\n", "run", "requests", "req/s", "p50", "p90", "p99", "non-2xx", "errors", "CPU/req")
	// run sends requests from workers, each to the next of spread tenants
	// in turn; req gets the tenant and how many requests went to it before.
	run := func(what string, workers, spread int, req func(t int, k uint64) *http.Request) error {
		var next atomic.Uint64
		res := &result{}
		tgt := target{name: what, req: func() *http.Request {
			i := next.Add(1) - 1
			return req(int(i%uint64(spread)), i/uint64(spread))
		}}
		cpu0, err := serverCPU(m.client, m.base)
		if err != nil {
			return err
		}
		load(m.client, tgt, workers, m.writes, res)
		cpu1, err := serverCPU(m.client, m.base)
		if err != nil {
			return err
		}
		cpu := perRequest(cpu1-cpu0, len(res.latencies))
		tenants := "1 tenant"
		if spread > 1 {
			tenants = fmt.Sprintf("%d tenants", spread)
		}
		name := fmt.Sprintf("%s, %s, %d workers", what, tenants, workers)
		fmt.Fprintf(m.out, "%-62s %10d %10.0f %9s %9s %9s %8d %7d %10s\n", name, len(res.latencies), res.rate(),
			us(res.percentile(.5)), us(res.percentile(.9)), us(res.percentile(.99)), res.non2xx, res.errors, us(cpu))
		if res.firstErr != "" {
			fmt.Fprintf(m.out, "  first failure: %s\n", res.firstErr)
		}
		perCore := 0.0
		if cpu > 0 {
			perCore = float64(time.Second) / float64(cpu)
		}
		m.sum.add(name, fmt.Sprintf("**%.0f**/s (p50 %s, p99 %s, non-2xx %d); serve CPU %s each: %.0f per CPU-second",
			res.rate(), ms(res.percentile(.5)), ms(res.percentile(.99)), res.non2xx+res.errors, ms(cpu), perCore), "", true)
		return nil
	}
	create := func(t int, _ uint64) *http.Request {
		return m.request(http.MethodPost, "/api/v1/tokens/", ws[t].AppToken, tokens[t], `{"name":"loadgen","seconds_until_expire":3600}`)
	}
	login := func(t int, k uint64) *http.Request { // each login as the tenant's next user
		names := ws[t].Usernames
		return m.request(http.MethodPost, "/api/v1/token/", ws[t].AppToken, "", loginBody(names[k%uint64(len(names))], m.fixture.Password))
	}
	for _, r := range []struct {
		what    string
		workers int
		req     func(int, uint64) *http.Request
	}{
		{"token creations, POST /api/v1/tokens/", m.writeWorkers, create},
		{"logins, POST /api/v1/token/", m.loginWorkers, login},
	} {
		for _, spread := range []int{1, len(ws)} {
			if err := run(r.what, r.workers, spread, r.req); err != nil {
				return err
			}
		}
	}
	return nil
}

// tenantRounds verifies one token of every tenant that has one, tenant
// after tenant, for several rounds: the first round opens every tenant
// file; in the later ones a serve whose store.max_open_tenants is below
// the number of tenants reopens each file (the least recently used goes
// first, and this order always wants it next), one above it finds every
// file open. Meant for cache.ttl 0.
func (m *measurer) tenantRounds() error {
	var ts []*fixtureTenant
	for i := range m.fixture.Tenants {
		if t := &m.fixture.Tenants[i]; len(t.TokenSecrets) > 0 {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return errors.New("the fixture has no tenant with a token")
	}
	makers := make([]func(int) *http.Request, len(ts))
	for k, t := range ts {
		makers[k] = func(int) *http.Request {
			return m.request(http.MethodGet, "/api/v1/token/", t.AppToken, t.TokenSecrets[0], "")
		}
	}
	rounds := make([][]time.Duration, m.rounds)
	for r := range rounds {
		lat, err := m.series(1, http.StatusOK, makers...)
		if err != nil {
			return err
		}
		for _, l := range lat {
			rounds[r] = append(rounds[r], l...)
		}
	}
	fmt.Fprintf(m.out, "\nVerification across %d tenants, one request per tenant per round, %d rounds\n", len(ts), m.rounds)
	fmt.Fprintf(m.out, "%-34s %9s %9s %9s %9s\n", "", "p50", "p90", "p99", "max")
	var later []time.Duration
	for r, lat := range rounds {
		fmt.Fprintf(m.out, "%-34s %9s %9s %9s %9s\n", fmt.Sprintf("round %d", r+1), us(pct(lat, .5)), us(pct(lat, .9)), us(pct(lat, .99)), us(pct(lat, 1)))
		if r > 0 {
			later = append(later, lat...)
		}
	}
	st, err := scrape(m.client, m.base)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.out, "serve after the rounds: %.0f open file descriptors, %.0f MiB resident\n", st[metricFDs], st[metricRSS]/(1<<20))
	m.sum.add(fmt.Sprintf("verification p50 across %d tenants, first round (every file opened)", len(ts)), ms(pct(rounds[0], .5)), "", true)
	if len(later) > 0 {
		which := "round 2"
		if m.rounds > 2 {
			which = fmt.Sprintf("rounds 2–%d", m.rounds)
		}
		m.sum.add(fmt.Sprintf("verification p50 across %d tenants, %s", len(ts), which), ms(pct(later, .5)), "", true)
	}
	m.sum.add("the serve's open file descriptors, resident memory after the rounds",
		fmt.Sprintf("%.0f, %.0f MiB", st[metricFDs], st[metricRSS]/(1<<20)), "", true)
	return nil
}
