// Command loadgen measures a running `latchkey serve` over HTTP on loopback
// and fills stores to measure it on. It refuses any address that is not
// loopback. docs/PERFORMANCE.md has the figures and the commands.
//
//	loadgen -app-token lka_… -username admin -password … [-url http://127.0.0.1:8080]
//	        [-duration 10s] [-warmup 2s] [-connections 4] [-rounds 2]
//	        [-goal 0.8] [-p99 5ms] [-logins 10s] [-login-workers 1]
//	loadgen -fixture FILE [-tenant big] …
//
// logs in, then loads the bare GET /healthz and the authenticated GET
// /api/v1/token in the same run, for the same time with the same number of
// connections, and prints requests per second, latency percentiles and
// non-2xx answers for each, with the ratio of the two against -goal. With
// -logins it also measures password logins per second. scripts/load.sh
// starts a server on a throwaway store and runs it.
//
//	loadgen populate -data-dir DIR -out FILE [-users 100000] [-tokens 100000] [-audit 1000000] …
//
// writes tenants straight into a SQLite data directory through the engine
// (a big one, a small one and ten for the write runs) and their
// credentials into a fixture file, and
//
//	loadgen measure -url URL -fixture FILE [-parts verify,login,lists,writes] …
//
// measures a serve on that directory: uncached verification and logins in
// the big tenant against the small one, unknown usernames against wrong
// passwords, list and audit pages, and write rates on one tenant and across
// ten. scripts/store-bench.sh runs the whole set.
//
//	loadgen flood -url URL -fixture FILE -pid PID [-parts logins,forged,soak] …
//
// floods that serve: parallel logins with unknown usernames and wrong
// passwords (the serve's peak memory, its statuses, a verified client's
// p99 meanwhile), forged user tokens with a valid CRC-32 (the store reads
// they cause, a verified client's p50 against idle) and a mixed soak
// (every answer by status). scripts/flood.sh runs them with
// `loadgen measure -parts login` between. The verified client runs as
//
//	loadgen verifier -url URL -duration D
//
// in a process of its own (flood starts it), with its App-Token and user
// token in $LOADGEN_VERIFIED_APP_TOKEN and $LOADGEN_VERIFIED_TOKEN, and
// writes its latencies as JSON.
//
//	loadgen scale [-tenants 1000] [-tokens 1000] [-samples 300] [-data-dir DIR]
//
// fills a throwaway SQLite store and measures, in process, verification
// latency on a cache miss and on a hit as the tenants and tokens grow.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

type config struct {
	base         *url.URL
	appToken     string
	username     string
	password     string
	duration     time.Duration
	warmup       time.Duration
	connections  int
	rounds       int
	logins       time.Duration
	loginWorkers int
	// goal is the least authenticated/bare throughput ratio that meets the
	// goal; p99 the authenticated p99 that does (0: none).
	goal float64
	p99  time.Duration
}

func main() {
	if subcommand(os.Args[1:]) {
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// subcommand runs the subcommand args names, if it names one, and reports
// whether it did; a failing one exits the process.
func subcommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	run := map[string]func([]string, io.Writer) error{
		"scale": runScale, "populate": runPopulate, "measure": runMeasure, "flood": runFlood, "verifier": runVerifier,
	}[args[0]]
	if run == nil {
		return false
	}
	if err := run(args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", args[0], err)
		os.Exit(1)
	}
	return true
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	raw := fs.String("url", "http://127.0.0.1:8080", "base URL of latchkey serve (loopback only)")
	fs.StringVar(&c.appToken, "app-token", "", "an App-Token of the tenant to log in to")
	fs.StringVar(&c.username, "username", "admin", "user to log in as")
	fs.StringVar(&c.password, "password", "", "its password")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time per route and round")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured load before each route's first round")
	fs.IntVar(&c.connections, "connections", 4, "concurrent keep-alive connections")
	fs.IntVar(&c.rounds, "rounds", 2, "rounds; each loads /healthz then /api/v1/token")
	fs.DurationVar(&c.logins, "logins", 0, "also measure logins for this long (0: skip)")
	fs.IntVar(&c.loginWorkers, "login-workers", 1, "concurrent logins (1 measures one core's worth)")
	fs.Float64Var(&c.goal, "goal", 0.8, "authenticated/bare throughput ratio that meets the goal")
	fs.DurationVar(&c.p99, "p99", 5*time.Millisecond, "authenticated p99 that meets the goal (0: no p99 goal)")
	fixtureFile := fs.String("fixture", "", "log in as the owner of a tenant of this `loadgen populate` fixture (instead of -app-token, -username, -password)")
	tenantName := fs.String("tenant", "big", "with -fixture: the tenant (big, small, w0 …)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	u, err := parseBase(*raw)
	if err != nil {
		return c, err
	}
	c.base = u
	if *fixtureFile != "" {
		f, err := readFixture(*fixtureFile)
		if err != nil {
			return c, err
		}
		t, err := f.tenant(*tenantName)
		if err != nil {
			return c, err
		}
		c.appToken, c.username, c.password = t.AppToken, t.Owner, f.Password
	}
	switch {
	case c.appToken == "" || c.password == "":
		return c, errors.New("-app-token and -password are required")
	case c.duration <= 0 || c.duration > 10*time.Minute:
		return c, errors.New("-duration must be between 0 and 10m")
	case c.connections < 1 || c.connections > 256:
		return c, errors.New("-connections must be between 1 and 256")
	case c.rounds < 1 || c.rounds > 100:
		return c, errors.New("-rounds must be between 1 and 100")
	case c.logins < 0 || c.logins > 10*time.Minute:
		return c, errors.New("-logins must be between 0 and 10m")
	case c.loginWorkers < 1 || c.loginWorkers > 64:
		return c, errors.New("-login-workers must be between 1 and 64")
	case c.goal <= 0 || c.goal > 2 || c.p99 < 0:
		return c, errors.New("-goal must be between 0 and 2, -p99 at least 0")
	}
	return c, nil
}

// parseBase parses a -url: http, with a loopback host.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://host:port", raw)
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// checkLoopback refuses hosts that are not loopback: this tool only loads
// a server on the same machine.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address; loadgen only loads a local server", host)
	}
	return nil
}

func run(c config, out io.Writer) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c.connections + c.loginWorkers, MaxIdleConnsPerHost: c.connections + c.loginWorkers,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	ctx := context.Background()
	token, err := login(ctx, client, c)
	if err != nil {
		return err
	}
	defer logout(client, c, token)

	fmt.Fprintf(out, "loadgen: %s, %d connections, %d round(s) of %s per route, GOMAXPROCS %d, %d CPUs\n",
		c.base, c.connections, c.rounds, c.duration, runtime.GOMAXPROCS(0), runtime.NumCPU())
	targets := []target{
		{name: "GET /healthz", once: true, req: func() *http.Request { return newRequest(c, http.MethodGet, "/healthz", nil) }},
		{name: "GET /api/v1/token", once: true, req: func() *http.Request {
			r := newRequest(c, http.MethodGet, "/api/v1/token", nil)
			r.Header.Set("App-Token", c.appToken)
			r.Header.Set("Token", token)
			return r
		}},
	}
	results := make([]*result, len(targets))
	for i := range targets {
		results[i] = &result{}
		load(client, targets[i], c.connections, c.warmup, &result{}) // warm-up, not measured
	}
	// Each round loads both routes, one after the other; the ratio of a
	// round compares two stretches of time seconds apart, so a burst of
	// other work on a shared machine spoils one round, not the run.
	// The serve's own CPU time per request does not depend on how much of
	// a shared machine the run got.
	var roundRatios []float64
	var cpu [2]float64
	for range c.rounds {
		var rates [2]float64
		for i, t := range targets {
			before := len(results[i].latencies)
			cpu0, err := serverCPU(client, c.base)
			if err != nil {
				return err
			}
			start := time.Now()
			load(client, t, c.connections, c.duration, results[i])
			rates[i] = float64(len(results[i].latencies)-before) / time.Since(start).Seconds()
			cpu1, err := serverCPU(client, c.base)
			if err != nil {
				return err
			}
			cpu[i] += cpu1 - cpu0
		}
		roundRatios = append(roundRatios, rates[1]/rates[0])
	}
	fmt.Fprintf(out, "%-20s %10s %10s %9s %9s %9s %9s %8s %7s\n", "route", "requests", "req/s", "p50", "p90", "p99", "max", "non-2xx", "errors")
	for i, t := range targets {
		results[i].print(out, t.name)
	}
	bare, auth := results[0], results[1]
	ratio := auth.rate() / bare.rate()
	cpuBare, cpuAuth := perRequest(cpu[0], len(bare.latencies)), perRequest(cpu[1], len(auth.latencies))
	fmt.Fprintf(out, "server CPU per request: %s bare, %s authenticated\n", us(cpuBare), us(cpuAuth))
	p99 := auth.percentile(0.99)
	failed := auth.non2xx + bare.non2xx + auth.errors + bare.errors
	p99Goal, p99Met := "none", true
	if c.p99 > 0 {
		p99Goal, p99Met = "< "+c.p99.String(), p99 < c.p99
	}
	slices.Sort(roundRatios)
	median := roundRatios[len(roundRatios)/2]
	if len(roundRatios)%2 == 0 {
		median = (median + roundRatios[len(roundRatios)/2-1]) / 2
	}
	fmt.Fprintf(out, "authenticated / bare throughput: %.2f (goal >= %.2f; median of the %d rounds' ratios %.2f, range %.2f–%.2f); authenticated p99 %s (goal %s); non-2xx %d (goal 0)\n",
		ratio, c.goal, len(roundRatios), median, roundRatios[0], roundRatios[len(roundRatios)-1], p99.Round(time.Microsecond), p99Goal, failed)
	if ratio >= c.goal && p99Met && failed == 0 {
		fmt.Fprintln(out, "goal: met")
	} else {
		fmt.Fprintln(out, "goal: MISSED")
	}
	var sum summary
	sum.add(fmt.Sprintf("authenticated GET /api/v1/token / bare GET /healthz, %d connections, %d rounds of %s", c.connections, c.rounds, c.duration),
		fmt.Sprintf("**%.2f** (%.0f vs %.0f req/s; rounds' median %.2f, range %.2f–%.2f)", ratio, auth.rate(), bare.rate(),
			median, roundRatios[0], roundRatios[len(roundRatios)-1]), fmt.Sprintf("≥ %.2f", c.goal), ratio >= c.goal)
	sum.add("server CPU per request in that run, authenticated / bare", fmt.Sprintf("%.2f (%s vs %s)",
		ratioOf(cpuAuth, cpuBare), us(cpuAuth), us(cpuBare)), "", true)
	sum.add("authenticated p99 in that run", ms(p99), strings.TrimPrefix(p99Goal, "none"), p99Met)
	sum.add("non-2xx or failed requests in that run", fmt.Sprint(failed), "0", failed == 0)

	if c.logins > 0 {
		r := &result{}
		t := target{name: "POST /api/v1/token", req: func() *http.Request { return loginRequest(c) }}
		cpu0, err := serverCPU(client, c.base)
		if err != nil {
			return err
		}
		load(client, t, c.loginWorkers, c.logins, r)
		cpu1, err := serverCPU(client, c.base)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nlogins with %d concurrent worker(s):\n", c.loginWorkers)
		r.print(out, t.name)
		perLogin := perRequest(cpu1-cpu0, len(r.latencies))
		fmt.Fprintf(out, "logins/s: %.1f; server CPU per login %s\n", r.rate(), ms(perLogin))
		sum.add(fmt.Sprintf("logins, %d concurrent", c.loginWorkers), fmt.Sprintf("**%.1f**/s (p50 %s); server CPU %s each",
			r.rate(), ms(r.percentile(.5)), ms(perLogin)), "", true)
	}
	sum.print(out)
	return nil
}

type target struct {
	name string
	req  func() *http.Request
	// once: each worker makes its request once and sends it again and
	// again (a GET without a body), so the load generator spends its time
	// on the wire, not on building requests.
	once bool
}

// result accumulates the answers of one route over its rounds.
type result struct {
	mu        sync.Mutex
	latencies []time.Duration
	elapsed   time.Duration
	non2xx    int
	errors    int
	firstErr  string
	// codes counts the answers by status code; noRetryAfter the 503
	// answers without a Retry-After header.
	codes        map[int]int
	noRetryAfter int
}

func (r *result) rate() float64 {
	if r.elapsed == 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

func (r *result) percentile(p float64) time.Duration { return pct(r.latencies, p) }

func (r *result) print(out io.Writer, name string) {
	us := func(d time.Duration) string { return d.Round(time.Microsecond).String() }
	fmt.Fprintf(out, "%-20s %10d %10.0f %9s %9s %9s %9s %8d %7d\n", name, len(r.latencies), r.rate(),
		us(r.percentile(0.50)), us(r.percentile(0.90)), us(r.percentile(0.99)), us(r.percentile(1)), r.non2xx, r.errors)
	if r.firstErr != "" {
		fmt.Fprintf(out, "  first failure: %s\n", r.firstErr)
	}
}

// load sends t's request from n workers, each on its own keep-alive
// connection, back to back for d, and adds what they saw to res.
func load(client *http.Client, t target, n int, d time.Duration, res *result) {
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var non2xx, errs, noRetry int
			var firstErr string
			codes := map[int]int{}
			req := t.req()
			for time.Now().Before(deadline) {
				if !t.once {
					req = t.req()
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat = append(lat, time.Since(t0))
				if err == nil {
					codes[resp.StatusCode]++
					if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
						noRetry++
					}
				}
				switch {
				case err != nil:
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				case resp.StatusCode/100 != 2:
					non2xx++
					if firstErr == "" {
						firstErr = resp.Status
					}
				}
			}
			res.mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.non2xx += non2xx
			res.errors += errs
			res.noRetryAfter += noRetry
			if res.codes == nil {
				res.codes = map[int]int{}
			}
			for c, n := range codes {
				res.codes[c] += n
			}
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			res.mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed += time.Since(start)
}

func newRequest(c config, method, path string, body io.Reader) *http.Request {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	r, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		panic(err) // the URL was checked at start
	}
	return r
}

func loginRequest(c config) *http.Request {
	form := url.Values{"username": {c.username}, "password": {c.password}}
	r := newRequest(c, http.MethodPost, "/api/v1/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("App-Token", c.appToken)
	return r
}

func login(ctx context.Context, client *http.Client, c config) (string, error) {
	resp, err := client.Do(loginRequest(c).WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Token  string            `json:"token"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login: %s %v", resp.Status, body.Errors)
	}
	return body.Token, nil
}

// logout expires the token loadgen logged in with.
func logout(client *http.Client, c config, token string) {
	r := newRequest(c, http.MethodDelete, "/api/v1/token", nil)
	r.Header.Set("App-Token", c.appToken)
	r.Header.Set("Token", token)
	if resp, err := client.Do(r); err == nil {
		resp.Body.Close()
	}
}
