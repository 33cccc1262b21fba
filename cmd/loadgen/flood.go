package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
)

// floodConfig is the configuration of `loadgen flood`: the floods of
// SECURITY.md's "Bounded work and memory", against a serve on a data
// directory `loadgen populate` filled. scripts/flood.sh runs them.
type floodConfig struct {
	// measure holds the serve's URL, the fixture and the parts.
	measure measureConfig
	// pid is the serve's process id, whose memory the login flood samples
	// from /proc.
	pid int
	// loginWorkers parallel logins for loginFlood; forgers clients of
	// forged user tokens for forgedFlood per phase; soakWorkers clients of
	// the mixed soak for soak.
	loginWorkers, forgers, soakWorkers int
	loginFlood, forgedFlood, soak      time.Duration
	// The goals: the serve's peak resident memory in the login flood, the
	// legitimate client's p99 during it, its p50 during the forged flood
	// against idle.
	rssGoal   int64 // bytes
	p99Goal   time.Duration
	p50Factor float64
}

var floodParts = []string{"logins", "forged", "soak"}

func parseFlood(args []string) (floodConfig, error) {
	var c floodConfig
	fs := flag.NewFlagSet("loadgen flood", flag.ContinueOnError)
	raw := fs.String("url", "http://127.0.0.1:8080", "base URL of latchkey serve (loopback only)")
	fixtureFile := fs.String("fixture", "", "fixture written by `loadgen populate` for the serve's data directory (tenants small, w0, w1)")
	parts := fs.String("parts", "logins,forged,soak", "floods to run, of "+strings.Join(floodParts, ","))
	fs.IntVar(&c.pid, "pid", 0, "process id of the serve (on this machine): the login flood samples its memory")
	fs.IntVar(&c.loginWorkers, "login-workers", 500, "parallel logins in the login flood")
	fs.DurationVar(&c.loginFlood, "login-flood", 20*time.Second, "length of the login flood")
	fs.IntVar(&c.forgers, "forgers", 50, "clients sending forged user tokens")
	fs.DurationVar(&c.forgedFlood, "forged-flood", 10*time.Second, "length of each of the four phases of the forged flood")
	fs.IntVar(&c.soakWorkers, "soak-workers", 16, "clients of the mixed soak")
	fs.DurationVar(&c.soak, "soak", 60*time.Second, "length of the mixed soak")
	rssMiB := fs.Int64("rss-goal", 300, "peak resident memory (MiB) of the serve in the login flood that meets the goal")
	fs.DurationVar(&c.p99Goal, "p99-goal", 50*time.Millisecond, "verified requests' p99 during the login flood that meets the goal")
	fs.Float64Var(&c.p50Factor, "p50-factor", 2, "legitimate p50 during the forged flood / idle that meets the goal")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	u, err := parseBase(*raw)
	if err != nil {
		return c, err
	}
	c.measure.base = u
	if *fixtureFile == "" {
		return c, errors.New("-fixture is required")
	}
	if c.measure.fixture, err = readFixture(*fixtureFile); err != nil {
		return c, err
	}
	for p := range strings.SplitSeq(*parts, ",") {
		if !slices.Contains(floodParts, p) {
			return c, fmt.Errorf("-parts: unknown part %q", p)
		}
		c.measure.parts = append(c.measure.parts, p)
	}
	c.rssGoal = *rssMiB << 20
	bounded := func(d time.Duration) bool { return d > 0 && d <= 10*time.Minute }
	switch {
	case slices.Contains(c.measure.parts, "logins") && c.pid <= 0:
		return c, errors.New("-pid is required for the login flood")
	case c.loginWorkers < 1 || c.loginWorkers > 5000 || c.forgers < 1 || c.forgers > 1000 || c.soakWorkers < 1 || c.soakWorkers > 256:
		return c, errors.New("-login-workers must be between 1 and 5000, -forgers between 1 and 1000, -soak-workers between 1 and 256")
	case !bounded(c.loginFlood) || !bounded(c.forgedFlood) || !bounded(c.soak):
		return c, errors.New("-login-flood, -forged-flood and -soak must be between 0 and 10m")
	case c.rssGoal <= 0 || c.p99Goal <= 0 || c.p50Factor <= 0:
		return c, errors.New("the goals must be positive")
	}
	return c, nil
}

// runFlood is `loadgen flood`.
func runFlood(args []string, out io.Writer) error {
	c, err := parseFlood(args)
	if err != nil {
		return err
	}
	f := &flooder{floodConfig: c, measurer: &measurer{measureConfig: c.measure, out: out,
		client: newClient(max(64, c.soakWorkers+2))}}
	for _, p := range c.measure.parts {
		var err error
		switch p {
		case "logins":
			err = f.logins()
		case "forged":
			err = f.forged()
		case "soak":
			err = f.mixedSoak()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	f.sum.print(out)
	return nil
}

// newClient returns a client for conns concurrent keep-alive connections.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// flooder runs the floods of one `loadgen flood`.
type flooder struct {
	floodConfig
	*measurer
}

// withUsers returns the fixture's tenant name, which must have users.
func (f *flooder) withUsers(name string) (*fixtureTenant, error) {
	t, err := f.fixture.tenant(name)
	if err == nil && len(t.Usernames) == 0 {
		err = fmt.Errorf("the %s tenant's fixture has no users", name)
	}
	return t, err
}

// verifier logs the owner of the fixture's small tenant in and returns its
// credentials: the legitimate client whose latency the floods must not
// spoil.
func (f *flooder) verifier() (*verified, error) {
	small, err := f.fixture.tenant("small")
	if err != nil {
		return nil, err
	}
	token, err := f.login(small, small.Owner)
	if err != nil {
		return nil, err
	}
	return &verified{appToken: small.AppToken, token: token}, nil
}

// verified is the legitimate client's credentials.
type verified struct{ appToken, token string }

// The environment passes the legitimate client's App-Token and user token
// to `loadgen verifier` (not its command line, which other users may read).
const (
	verifiedAppEnv   = "LOADGEN_VERIFIED_APP_TOKEN"
	verifiedTokenEnv = "LOADGEN_VERIFIED_TOKEN"
)

// measure runs `loadgen verifier` for d: the legitimate client's verified
// requests, one after the other, from a process of its own, as a client
// beside an attacker would. In the flooding process it would wait for the
// Go scheduler behind hundreds of flooding goroutines, and measure them.
func (v *verified) measure(base string, d time.Duration, res *result) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "verifier", "-url", base, "-duration", d.String())
	cmd.Env = append(os.Environ(), verifiedAppEnv+"="+v.appToken, verifiedTokenEnv+"="+v.token)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("loadgen verifier: %w", err)
	}
	var r verifierReport
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("loadgen verifier: %w", err)
	}
	res.latencies, res.non2xx, res.errors, res.firstErr, res.elapsed = r.Latencies, r.Non2xx, r.Errors, r.FirstErr, d
	return nil
}

// verifierReport is what `loadgen verifier` writes: its requests' latencies
// and failures.
type verifierReport struct {
	Latencies []time.Duration `json:"latencies_ns"`
	Non2xx    int             `json:"non2xx"`
	Errors    int             `json:"errors"`
	FirstErr  string          `json:"first_error,omitempty"`
}

// runVerifier is `loadgen verifier -url URL -duration D` (the App-Token
// and user token in $LOADGEN_VERIFIED_APP_TOKEN and
// $LOADGEN_VERIFIED_TOKEN), the legitimate client of `loadgen flood`: GET
// /api/v1/token/ back to back on one connection for D, written as a
// verifierReport in JSON.
func runVerifier(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadgen verifier", flag.ContinueOnError)
	raw := fs.String("url", "http://127.0.0.1:8080", "base URL of latchkey serve (loopback only)")
	d := fs.Duration("duration", 10*time.Second, "how long to send")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := parseBase(*raw)
	if err != nil {
		return err
	}
	appToken, token := os.Getenv(verifiedAppEnv), os.Getenv(verifiedTokenEnv)
	if appToken == "" || token == "" || *d <= 0 || *d > 10*time.Minute {
		return fmt.Errorf("$%s and $%s are required, -duration between 0 and 10m", verifiedAppEnv, verifiedTokenEnv)
	}
	c := config{base: u}
	res := &result{}
	load(newClient(1), target{once: true, req: func() *http.Request {
		r := newRequest(c, http.MethodGet, "/api/v1/token/", nil)
		r.Header.Set("App-Token", appToken)
		r.Header.Set("Token", token)
		return r
	}}, 1, *d, res)
	return json.NewEncoder(out).Encode(verifierReport{Latencies: res.latencies, Non2xx: res.non2xx, Errors: res.errors, FirstErr: res.firstErr})
}

// healthz is the cheapest request, the control flood: what any flood of
// that many clients costs the verified client on this machine.
func (f *flooder) healthz() *target {
	return &target{name: "GET /healthz", once: true, req: func() *http.Request {
		return f.request(http.MethodGet, "/healthz", "", "", "")
	}}
}

// phase is one stretch of a flood: what the verified client and the
// flooding clients saw, and the serve's /metrics before and after.
type phase struct {
	verified, flood *result
	before, after   map[string]float64
	// generatorCPU is the CPU time loadgen (and its verified client) used.
	generatorCPU time.Duration
}

// run runs, for d, the verified client (unless verify is nil) beside
// workers clients of flood (unless flood is nil) on client.
func (f *flooder) run(verify *verified, flood *target, workers int, client *http.Client, d time.Duration) (phase, error) {
	p := phase{verified: &result{}, flood: &result{}}
	var err error
	if p.before, err = scrape(f.client, f.base); err != nil {
		return p, err
	}
	cpu0 := generatorCPU()
	var wg sync.WaitGroup
	if flood != nil {
		wg.Go(func() { load(client, *flood, workers, d, p.flood) })
	}
	if verify != nil {
		err = verify.measure(f.base.String(), d, p.verified)
	}
	wg.Wait()
	if err != nil {
		return p, err
	}
	p.generatorCPU = generatorCPU() - cpu0
	p.after, err = scrape(f.client, f.base)
	return p, err
}

// generatorCPU returns the CPU time this process and its finished children
// (the verified clients) have used.
func generatorCPU() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// cpuShare says how the CPU time of p went: the serve's and the load
// generator's, in cores over d.
func (p phase) cpuShare(d time.Duration) string {
	serve := p.after[metricCPU] - p.before[metricCPU]
	return fmt.Sprintf("serve %.2f cores, load generator %.2f cores of %d", serve/d.Seconds(),
		p.generatorCPU.Seconds()/d.Seconds(), runtime.NumCPU())
}

// served says how long the serve itself took over the verified client's
// requests of p, from its latchkey_http_request_duration_seconds histogram
// (the verified client's are the only 2xx answers of GET /api/v1/token in
// a phase): the bucket bound of its p50 and p99, and the share answered
// within limit.
func (p phase) served(limit time.Duration) string {
	const prefix = `latchkey_http_request_duration_seconds_bucket{method="GET",route="/api/v1/token",status_class="2xx",le="`
	b := buckets(p.before, p.after, prefix)
	if len(b) == 0 || b[len(b)-1].n == 0 {
		return "the serve timed none"
	}
	total := b[len(b)-1].n
	within := 0.0
	for _, x := range b {
		if x.le <= limit.Seconds() {
			within = x.n
		}
	}
	return fmt.Sprintf("in the serve: p50 ≤ %s, p99 ≤ %s, %.1f %% within %s", bound(b, .5), bound(b, .99), 100*within/total, ms(limit))
}

// storeCalls says how many store calls of each operation the serve made
// in p and, for the busiest ones, the bucket bounds of their p50 and p99
// (latchkey_store_operation_duration_seconds: the time of a call, waiting
// for a connection included).
func (p phase) storeCalls() string {
	ops := storeOps(p.before, p.after)
	parts := make([]string, 0, len(ops))
	for op, n := range ops {
		if n < 100 {
			continue
		}
		var prefix string
		for series := range p.after {
			if i := strings.Index(series, `,operation="`+op+`",le="`); i > 0 && strings.HasPrefix(series, "latchkey_store_operation_duration_seconds_bucket{") {
				prefix = series[:i+len(`,operation="`+op+`",le="`)]
				break
			}
		}
		if prefix == "" {
			continue
		}
		if b := buckets(p.before, p.after, prefix); len(b) > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f (p50 ≤ %s, p99 ≤ %s)", op, n, bound(b, .5), bound(b, .99)))
		}
	}
	slices.Sort(parts)
	return fmt.Sprintf("%s; all: %s", strings.Join(parts, ", "), opCounts(ops))
}

// bucket is a histogram bucket: n observations at most le.
type bucket struct{ le, n float64 }

// buckets returns the buckets of the histogram series starting with prefix
// (up to the value of le) as they grew between two scrapes, in order.
func buckets(before, after map[string]float64, prefix string) []bucket {
	var out []bucket
	for series, v := range after {
		rest, ok := strings.CutPrefix(series, prefix)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64) // "+Inf" parses as +Inf
		if err != nil {
			continue
		}
		out = append(out, bucket{le, v - before[series]})
	}
	slices.SortFunc(out, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	return out
}

// bound returns the upper bound of the bucket holding quantile q of b.
func bound(b []bucket, q float64) string {
	total := b[len(b)-1].n
	for _, x := range b {
		if x.n >= q*total {
			if math.IsInf(x.le, 1) {
				break
			}
			return ms(time.Duration(x.le * float64(time.Second)))
		}
	}
	return "∞"
}

// logins floods the login route of the w0 tenant with loginWorkers
// parallel clients, each sending, back to back, a login with an unknown
// username or with a known one and a wrong password (half each; only the
// App-Token is needed), while one client makes verified requests in
// another tenant and the serve's memory is sampled every 100 ms. Then, as
// a control, as many clients of GET /healthz beside the verified client.
func (f *flooder) logins() error {
	w0, err := f.withUsers("w0")
	if err != nil {
		return err
	}
	verify, err := f.verifier()
	if err != nil {
		return err
	}
	before, err := readMemory(f.pid)
	if err != nil {
		return err
	}
	login := &target{name: "POST /api/v1/token/", req: func() *http.Request {
		name, password := fmt.Sprintf("ghost%012x", rand.Uint64()>>16), f.fixture.Password
		if rand.IntN(2) == 0 {
			name, password = w0.Usernames[rand.IntN(len(w0.Usernames))], "wrong-"+f.fixture.Password
		}
		return f.request(http.MethodPost, "/api/v1/token/", w0.AppToken, "", loginBody(name, password))
	}}
	stop := make(chan struct{})
	var peakRSS atomic.Int64
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, err := readMemory(f.pid); err == nil && m.rss > peakRSS.Load() {
				peakRSS.Store(m.rss)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	client := newClient(f.loginWorkers)
	p, err := f.run(verify, login, f.loginWorkers, client, f.loginFlood)
	close(stop)
	sampler.Wait()
	if err != nil {
		return err
	}
	after, err := readMemory(f.pid)
	if err != nil {
		return err
	}
	peak := max(after.hwm, peakRSS.Load())
	control, err := f.run(verify, f.healthz(), f.loginWorkers, client, f.loginFlood)
	if err != nil {
		return err
	}

	fmt.Fprintf(f.out, "\nLogin flood: %d parallel clients for %s in tenant w0 (%d known usernames with wrong passwords, unknown usernames; half each), then as many of GET /healthz\n",
		f.loginWorkers, f.loginFlood, len(w0.Usernames))
	fmt.Fprintf(f.out, "%-20s %10s %10s %9s %9s %9s %9s %8s %7s\n", "clients", "requests", "req/s", "p50", "p90", "p99", "max", "non-2xx", "errors")
	p.flood.print(f.out, "logins")
	p.verified.print(f.out, "verified")
	control.flood.print(f.out, "GET /healthz")
	control.verified.print(f.out, "verified")
	fmt.Fprintf(f.out, "login answers: %s; 503 without Retry-After: %d\n", statusCounts(p.flood.codes), p.flood.noRetryAfter)
	fmt.Fprintf(f.out, "CPU during the logins: %s; during GET /healthz: %s\n", p.cpuShare(f.loginFlood), control.cpuShare(f.loginFlood))
	fmt.Fprintf(f.out, "store calls during the logins: %s\n", p.storeCalls())
	fmt.Fprintf(f.out, "verified requests during the logins %s; during GET /healthz %s\n", p.served(f.p99Goal), control.served(f.p99Goal))
	fmt.Fprintf(f.out, "serve memory: %s resident before, %s sampled peak, %s high-water mark (VmHWM) after\n",
		mib(before.rss), mib(peakRSS.Load()), mib(after.hwm))

	what := fmt.Sprintf("%d parallel logins for %s, unknown usernames and known ones with wrong passwords", f.loginWorkers, f.loginFlood)
	f.sum.add(what+": peak resident memory of the serve", fmt.Sprintf("**%s** (VmHWM; %s before)", mib(peak), mib(before.rss)),
		"≤ "+mib(f.rssGoal), peak <= f.rssGoal)
	fives := p.flood.codes[http.StatusInternalServerError]
	f.sum.add(what+": answers 500", fmt.Sprintf("**%d** of %d (%s; %d failed connections)", fives, len(p.flood.latencies),
		statusCounts(p.flood.codes), p.flood.errors), "0", fives == 0 && p.flood.errors == 0)
	f.sum.add(what+": 503 answers without Retry-After", fmt.Sprint(p.flood.noRetryAfter), "0", p.flood.noRetryAfter == 0)
	v, c := p.verified, control.verified
	p99 := v.percentile(.99)
	f.sum.add("verified GET /api/v1/token/ of one client during that flood: p99", fmt.Sprintf("**%s** (p50 %s, %d requests, non-2xx %d; %s; CPU: %s)",
		ms(p99), ms(v.percentile(.5)), len(v.latencies), v.non2xx+v.errors, p.served(f.p99Goal), p.cpuShare(f.loginFlood)), "≤ "+ms(f.p99Goal),
		p99 <= f.p99Goal && v.non2xx+v.errors == 0)
	f.sum.add(fmt.Sprintf("control: the same during %d clients of GET /healthz", f.loginWorkers), fmt.Sprintf("p99 %s (p50 %s, %d requests; %s; CPU: %s)",
		ms(c.percentile(.99)), ms(c.percentile(.5)), len(c.latencies), control.served(f.p99Goal), control.cpuShare(f.loginFlood)), "", true)
	return nil
}

// forged floods the small tenant with user tokens it never made: the
// right prefix, tenant id, length and CRC-32, a new random id and body per
// request, a tag made with another key (the serve's real App-Token beside
// them). Four phases of forgedFlood each: the verified client alone
// (idle), the forgers alone (the serve's user-token reads then are theirs
// only), both (the verified client's latency under the flood), and, as a
// control, the verified client beside as many clients of GET /healthz.
func (f *flooder) forged() error {
	small, err := f.fixture.tenant("small")
	if err != nil {
		return err
	}
	verify, err := f.verifier()
	if err != nil {
		return err
	}
	foreign := secret.NewRandomKeyring() // a key the serve does not have
	forge := &target{name: "forged GET /api/v1/token/", req: func() *http.Request {
		return f.request(http.MethodGet, "/api/v1/token/", small.AppToken, foreign.NewToken(secret.User, small.ID, ids.New()), "")
	}}
	client := newClient(f.forgers)
	var ps [4]phase
	for i, run := range []struct {
		verify *verified
		flood  *target
	}{{verify, nil}, {nil, forge}, {verify, forge}, {verify, f.healthz()}} {
		if ps[i], err = f.run(run.verify, run.flood, f.forgers, client, f.forgedFlood); err != nil {
			return err
		}
	}
	idle, alone, during, control := ps[0], ps[1], ps[2], ps[3]
	ops := storeOps(alone.before, alone.after)
	cpu := perRequest(alone.after[metricCPU]-alone.before[metricCPU], len(alone.flood.latencies))

	fmt.Fprintf(f.out, "\nForged user tokens (valid CRC-32, no valid tag) in tenant small: %d clients; four phases of %s\n", f.forgers, f.forgedFlood)
	fmt.Fprintf(f.out, "%-20s %10s %10s %9s %9s %9s %9s %8s %7s\n", "phase: clients", "requests", "req/s", "p50", "p90", "p99", "max", "non-2xx", "errors")
	idle.verified.print(f.out, "1: verified")
	alone.flood.print(f.out, "2: forged")
	during.flood.print(f.out, "3: forged")
	during.verified.print(f.out, "3: verified")
	control.flood.print(f.out, "4: GET /healthz")
	control.verified.print(f.out, "4: verified")
	forgedCodes := map[int]int{}
	for _, r := range []*result{alone.flood, during.flood} {
		for c, n := range r.codes {
			forgedCodes[c] += n
		}
	}
	fmt.Fprintf(f.out, "forged answers: %s; serve CPU per forged request (phase 2) %s\n", statusCounts(forgedCodes), us(cpu))
	fmt.Fprintf(f.out, "store operations in phase 2: %s\n", opCounts(ops))
	for i, p := range ps {
		served := ""
		if i != 1 {
			served = "; verified requests " + p.served(time.Millisecond)
		}
		fmt.Fprintf(f.out, "phase %d: CPU %s%s\n", i+1, p.cpuShare(f.forgedFlood), served)
	}

	reads := ops["usertokens.FindByID"]
	f.sum.add(fmt.Sprintf("%d clients of forged user tokens, %s alone: user-token store reads", f.forgers, f.forgedFlood),
		fmt.Sprintf("**%.0f** for %d forged requests (every store operation then: %s); serve CPU %s each",
			reads, len(alone.flood.latencies), opCounts(ops), us(cpu)), "0", reads == 0)
	n := len(alone.flood.latencies) + len(during.flood.latencies)
	refused := forgedCodes[http.StatusUnauthorized]
	f.sum.add("forged user tokens answered 401", fmt.Sprintf("%d of %d (%s)", refused, n, statusCounts(forgedCodes)), "all", refused == n)
	bad := 0
	for _, p := range []phase{idle, during, control} {
		bad += p.verified.non2xx + p.verified.errors
	}
	vs := func(a, b phase) (float64, string) {
		x, y := a.verified.percentile(.5), b.verified.percentile(.5)
		return ratioOf(x, y), fmt.Sprintf("**%.2f×** (%s vs %s; p99 %s vs %s)", ratioOf(x, y), ms(x), ms(y),
			ms(a.verified.percentile(.99)), ms(b.verified.percentile(.99)))
	}
	r, text := vs(during, idle)
	f.sum.add(fmt.Sprintf("verified p50 of one client during %d forgers / idle", f.forgers),
		fmt.Sprintf("%s; non-2xx %d; %s; CPU: %s", text, bad, during.served(time.Millisecond), during.cpuShare(f.forgedFlood)), fmt.Sprintf("≤ %.0f×", f.p50Factor),
		r <= f.p50Factor && bad == 0)
	_, text = vs(control, idle)
	f.sum.add(fmt.Sprintf("control: the same during %d clients of GET /healthz / idle", f.forgers),
		fmt.Sprintf("%s; %s; CPU: %s", text, control.served(time.Millisecond), control.cpuShare(f.forgedFlood)), "", true)
	return nil
}

// soakOps are the requests of the mixed soak with their weights: what
// clients of one tenant do, and some bad input.
var soakOps = []struct {
	name   string
	weight int
}{
	{"login", 8}, {"refresh", 8}, {"verify", 34}, {"token creation", 10}, {"list page", 15}, {"bad input", 25},
}

// badInputs are the bad requests of the soak: path (with its query) and
// body, sent with the owner's credentials unless the path starts with "!"
// (then with a made-up or garbage Token).
var badInputs = []struct{ method, path, body string }{
	{http.MethodGet, "/api/v1/users/?q=%ff%fe", ""},
	{http.MethodGet, "/api/v1/users/?limit=-1&nope=1", ""},
	{http.MethodPost, "/api/v1/users/", `{"username":"soak-x","password":"soak-password","email":"x@example.test","ROLE":"owner"}`},
	{http.MethodPost, "/api/v1/users/", `{"username":"a","username":"b"}`},
	{http.MethodPost, "/api/v1/tokens/", `{"name":`},
	{http.MethodPost, "/api/v1/tokens/", `{"seconds_until_expire":-5,"name":"\u0000"}`},
	{http.MethodPost, "/api/v1/tokens/", `[]`},
	{http.MethodGet, "/api/v1/tokens/not-a-token", ""},
	{http.MethodGet, "/api/v1/audit/?since=yesterday", ""},
	{http.MethodPost, "/api/v1/token/", "username=ghost&password=x"},
	{http.MethodPost, "/api/v1/token/refresh", `{"refresh_token":"lkr_nothing"}`},
	{http.MethodGet, "!forged", ""},
	{http.MethodGet, "!garbage", ""},
}

// soakTally counts one operation's answers in the soak.
type soakTally struct {
	latencies []time.Duration
	codes     map[int]int
	errors    int
	firstErr  string
}

// mixedSoak runs soakWorkers clients in tenant w1 for soak, each picking
// its next request by soakOps' weights: logins (the right password of a
// random user), refreshes of the refresh token its last login or refresh
// gave, verifications of its token, token creations and list pages as the
// tenant's owner, and bad input. It counts every answer by status.
func (f *flooder) mixedSoak() error {
	w1, err := f.withUsers("w1")
	if err != nil {
		return err
	}
	owner, err := f.login(w1, w1.Owner)
	if err != nil {
		return err
	}
	foreign := secret.NewRandomKeyring()
	total := 0
	for _, o := range soakOps {
		total += o.weight
	}
	tallies := make([]map[string]*soakTally, f.soakWorkers)
	deadline := time.Now().Add(f.soak)
	var wg sync.WaitGroup
	for w := range f.soakWorkers {
		tally := map[string]*soakTally{}
		tallies[w] = tally
		wg.Go(func() {
			var token, refresh string // of the worker's last login or refresh
			for time.Now().Before(deadline) {
				pick, op := rand.IntN(total), ""
				for _, o := range soakOps {
					if pick < o.weight {
						op = o.name
						break
					}
					pick -= o.weight
				}
				if token == "" && (op == "refresh" || op == "verify") {
					op = "login"
				}
				var r *http.Request
				switch op {
				case "login":
					r = f.request(http.MethodPost, "/api/v1/token/", w1.AppToken, "",
						loginBody(w1.Usernames[rand.IntN(len(w1.Usernames))], f.fixture.Password))
				case "refresh":
					r = f.request(http.MethodPost, "/api/v1/token/refresh", w1.AppToken, "", `{"refresh_token":"`+refresh+`"}`)
				case "verify":
					r = f.request(http.MethodGet, "/api/v1/token/", w1.AppToken, token, "")
				case "token creation":
					r = f.request(http.MethodPost, "/api/v1/tokens/", w1.AppToken, owner, `{"name":"soak","seconds_until_expire":3600}`)
				case "list page":
					path := []string{"/api/v1/tokens/", "/api/v1/users/", "/api/v1/audit/", "/api/v1/app_tokens/"}[rand.IntN(4)]
					r = f.request(http.MethodGet, path, w1.AppToken, owner, "")
				case "bad input":
					b := badInputs[rand.IntN(len(badInputs))]
					switch b.path {
					case "!forged":
						r = f.request(b.method, "/api/v1/token/", w1.AppToken, foreign.NewToken(secret.User, w1.ID, ids.New()), "")
					case "!garbage":
						r = f.request(b.method, "/api/v1/token/", w1.AppToken, "lku_\xff\xfe garbage", "")
					default:
						r = f.request(b.method, b.path, w1.AppToken, owner, b.body)
					}
				}
				code, body, d, err := f.send(r)
				t := tally[op]
				if t == nil {
					t = &soakTally{codes: map[int]int{}}
					tally[op] = t
				}
				if err != nil {
					t.errors++
					if t.firstErr == "" {
						t.firstErr = err.Error()
					}
					continue
				}
				t.latencies = append(t.latencies, d)
				t.codes[code]++
				if code == http.StatusOK && (op == "login" || op == "refresh") {
					var s struct {
						Token        string `json:"token"`
						RefreshToken string `json:"refresh_token"`
					}
					if json.Unmarshal(body, &s) == nil && s.Token != "" {
						token, refresh = s.Token, s.RefreshToken
					}
				}
				if code >= 500 && t.firstErr == "" {
					t.firstErr = fmt.Sprintf("%s %s: %d %s", r.Method, r.URL.RequestURI(), code, bytes.TrimSpace(body))
				}
			}
		})
	}
	wg.Wait()

	fmt.Fprintf(f.out, "\nMixed soak: %d clients for %s in tenant w1\n", f.soakWorkers, f.soak)
	fmt.Fprintf(f.out, "%-16s %9s %9s %9s  %s\n", "operation", "requests", "p50", "p99", "answers")
	all, fails := map[int]int{}, 0
	n := 0
	for _, o := range soakOps {
		t := &soakTally{codes: map[int]int{}}
		for _, tally := range tallies {
			if x := tally[o.name]; x != nil {
				t.latencies = append(t.latencies, x.latencies...)
				t.errors += x.errors
				for c, k := range x.codes {
					t.codes[c] += k
				}
				if t.firstErr == "" {
					t.firstErr = x.firstErr
				}
			}
		}
		for c, k := range t.codes {
			all[c] += k
		}
		fails += t.errors
		n += len(t.latencies)
		fmt.Fprintf(f.out, "%-16s %9d %9s %9s  %s; failed connections %d\n", o.name, len(t.latencies), us(pct(t.latencies, .5)),
			us(pct(t.latencies, .99)), statusCounts(t.codes), t.errors)
		if t.firstErr != "" {
			fmt.Fprintf(f.out, "  first failure: %s\n", t.firstErr)
		}
	}
	fives := all[http.StatusInternalServerError]
	f.sum.add(fmt.Sprintf("%s mixed soak after the floods, %d clients: answers 500", f.soak, f.soakWorkers),
		fmt.Sprintf("**%d** of %d (%s; %d failed connections)", fives, n, statusCounts(all), fails), "0", fives == 0 && fails == 0)
	return nil
}

// statusCounts formats answers by status code, in order: "200: 12, 401: 3".
func statusCounts(codes map[int]int) string {
	return listed(codes, func(c, n int) string { return fmt.Sprintf("%d: %d", c, n) })
}

// listed formats m's entries with item, in the order of their keys, or
// says "none".
func listed[K cmp.Ordered, V any](m map[K]V, item func(K, V) string) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = item(k, m[k])
	}
	return strings.Join(parts, ", ")
}

// storeOps returns, by operation, the store calls the serve made between
// two scrapes of its /metrics (the counts of
// latchkey_store_operation_duration_seconds), leaving out those it made
// none of.
func storeOps(before, after map[string]float64) map[string]float64 {
	const prefix = "latchkey_store_operation_duration_seconds_count{"
	out := map[string]float64{}
	for series, v := range after {
		labels, ok := strings.CutPrefix(series, prefix)
		if !ok {
			continue
		}
		_, op, ok := strings.Cut(labels, `operation="`)
		if !ok {
			continue
		}
		op, _, _ = strings.Cut(op, `"`)
		if d := v - before[series]; d != 0 {
			out[op] += d
		}
	}
	return out
}

// opCounts formats store calls by operation, in order.
func opCounts(ops map[string]float64) string {
	return listed(ops, func(op string, n float64) string { return fmt.Sprintf("%s %.0f", op, n) })
}

// memory is what /proc/<pid>/status says of a process's resident memory.
type memory struct {
	rss, hwm int64 // VmRSS and VmHWM (its peak so far), bytes
}

func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, fmt.Errorf("the serve's memory: %w", err)
	}
	return parseStatus(b)
}

// parseStatus reads VmRSS and VmHWM (in kB) from the text of
// /proc/<pid>/status.
func parseStatus(b []byte) (memory, error) {
	var m memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("/proc status: bad %s line %q", name, sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc status: bad %s line %q", name, sc.Text())
		}
		if name == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.hwm = kb << 10
		}
		seen++
	}
	if seen != 2 {
		return m, errors.New("/proc status: no VmRSS and VmHWM lines")
	}
	return m, sc.Err()
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
