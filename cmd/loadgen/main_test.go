package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
	"github.com/latchkey/latchkey/store/sqlite"
)

// TestMain runs the tests, or, when `loadgen flood` starts this binary as
// its verified client (`loadgen verifier`), that.
func TestMain(m *testing.M) {
	if subcommand(os.Args[1:]) {
		return
	}
	testserver.Main(m)
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "https://127.0.0.1:8080", "http://0.0.0.0:8080"} {
		if _, err := parseFlags([]string{"-url", u, "-app-token", "x", "-password", "y"}); err == nil {
			t.Errorf("%s: got no error, want a refusal", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080"} {
		if _, err := parseFlags([]string{"-url", u, "-app-token", "x", "-password", "y"}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestRun loads a test server briefly: both routes answer 2xx, the report
// has both lines and the login figure. No timing is asserted.
func TestRun(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{CacheTTL: time.Minute})
	cfg, err := parseFlags([]string{"-url", s.URL, "-app-token", s.AppToken, "-username", s.Username, "-password", s.Password,
		"-duration", "200ms", "-warmup", "50ms", "-rounds", "1", "-connections", "2", "-logins", "100ms"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	reportHas(t, report, "GET /healthz", "GET /api/v1/token", "authenticated / bare throughput", "logins/s",
		"| server CPU per request in that run, authenticated / bare |")
	for line := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(line, "GET ") {
			f := strings.Fields(line)
			if nonOK, errs := f[len(f)-2], f[len(f)-1]; nonOK != "0" || errs != "0" {
				t.Errorf("got non-2xx %s, errors %s: %s", nonOK, errs, line)
			}
		}
	}
}

func TestMannWhitneyZ(t *testing.T) {
	ds := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x)
		}
		return out
	}
	for _, c := range []struct {
		a, b []time.Duration
		want float64
	}{
		// U = 0, mean 4.5, sd √(9/12·7): every a below every b.
		{ds(1, 2, 3), ds(4, 5, 6), -1.9640},
		{ds(4, 5, 6), ds(1, 2, 3), 1.9640},
		// Interleaved with a tie: a's ranks 1, 3.5, 5, so U = 3.5; the
		// tie makes sd √(9/12·(7 − 6/30)).
		{ds(1, 3, 5), ds(2, 3, 6), -0.4428},
		{ds(7, 7, 7), ds(7, 7, 7), 0},
		{nil, ds(1), 0},
	} {
		if got := mannWhitneyZ(c.a, c.b); math.Abs(got-c.want) > 1e-3 {
			t.Errorf("mannWhitneyZ(%v, %v) = %.4f, want %.4f", c.a, c.b, got, c.want)
		}
	}
}

// TestPopulateAndMeasure fills a data directory with `loadgen populate`
// (small numbers), serves it and runs every `loadgen measure` part against
// it: the populated tokens verify, the users log in with the fixture's
// password, the list pages answer, and the report has every row. Then
// every `loadgen flood` part, briefly: its report has every row, the
// forged tokens are all refused without a store read, and no answer is a
// 500. No timing is asserted.
func TestPopulateAndMeasure(t *testing.T) {
	dir := t.TempDir()
	fixtureFile := filepath.Join(dir, "fixture.json")
	var out bytes.Buffer
	err := runPopulate([]string{"-data-dir", filepath.Join(dir, "store"), "-out", fixtureFile,
		"-users", "30", "-tokens", "40", "-audit", "300", "-small-users", "4", "-small-tokens", "10",
		"-write-tenants", "2", "-write-users", "3", "-many-tenants", "3", "-sample", "12",
		"-argon2-memory", "64", "-argon2-iterations", "1"}, &out)
	if err != nil {
		t.Fatalf("populate: %v\n%s", err, out.String())
	}
	f, err := readFixture(fixtureFile)
	if err != nil {
		t.Fatal(err)
	}
	big, err := f.tenant("big")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tenants) != 7 || len(f.writeTenants()) != 2 || len(f.manyTenants()) != 3 || len(big.Usernames) != 12 || len(big.TokenSecrets) != 12 || big.OwnerTokens != 4 {
		t.Fatalf("fixture: %d tenants, %d write tenants, %d many, big: %d usernames, %d token secrets, %d owner tokens",
			len(f.Tenants), len(f.writeTenants()), len(f.manyTenants()), len(big.Usernames), len(big.TokenSecrets), big.OwnerTokens)
	}

	// The ratio run logs in as a tenant's owner from the fixture.
	w1, err := f.tenant("w1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseFlags([]string{"-fixture", fixtureFile, "-tenant", "w1"})
	if err != nil || cfg.appToken != w1.AppToken || cfg.username != "owner" || cfg.password != f.Password {
		t.Errorf("parseFlags -fixture: %v, app token %q, username %q", err, cfg.appToken, cfg.username)
	}

	store, err := sqlite.Open(context.Background(), sqlite.Options{DataDir: filepath.Join(dir, "store"), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The server loads the keys populate used from the store, as `latchkey
	// serve` does at its start: the fixture's token strings must verify.
	t.Cleanup(func() { _ = store.Close() })
	s := testserver.StartWith(t, testserver.Options{Store: store}) // cache off
	for table, want := range map[string]int64{testserver.TableUsers: 31, testserver.TableTokens: 40} {
		if got := s.Count(t, big.ID, table); got != want {
			t.Errorf("big tenant: %d %s, want %d", got, table, want)
		}
	}
	// The audit log has the 300 records and those of the tenant's making.
	if got := s.Count(t, big.ID, testserver.TableAudit); got < 300 {
		t.Errorf("big tenant: %d audit records, want at least 300", got)
	}

	out.Reset()
	err = runMeasure([]string{"-url", s.URL, "-fixture", fixtureFile, "-parts", "verify,login,lists,writes,tenants",
		"-samples", "6", "-list-samples", "2", "-rounds", "2",
		"-writes", "300ms", "-write-workers", "2", "-login-workers", "1"}, &out)
	if err != nil {
		t.Fatalf("measure: %v\n%s", err, out.String())
	}
	report := out.String()
	reportHas(t, report,
		"| verification p50 (uncached), 40 tokens in the tenant / 10 |",
		"| login p50, 31 users in the tenant / 5 |",
		"| failed login p50, unknown username / wrong password |",
		"| GET /tokens/?user={owner} (4 tokens) p50 (",
		"| GET /audit/?cursor={middle of the log} p50 (50 items) |",
		"| token creations, POST /api/v1/tokens/, 2 tenants, 2 workers |",
		"| logins, POST /api/v1/token/, 1 tenant, 1 workers |",
		"| verification p50 across 5 tenants, first round (every file opened) |",
		"| verification p50 across 5 tenants, round 2 |",
		"| the serve's open file descriptors, resident memory after the rounds |",
	)
	for line := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(line, "| token creations") || strings.HasPrefix(line, "| logins") {
			if !strings.Contains(line, "non-2xx 0)") || strings.Contains(line, "**0**/s") {
				t.Errorf("write run failed: %s", line)
			}
		}
	}

	// Every flood, briefly, against the same serve (this process's memory
	// stands for the serve's).
	out.Reset()
	err = runFlood([]string{"-url", s.URL, "-fixture", fixtureFile, "-pid", strconv.Itoa(os.Getpid()),
		"-login-workers", "8", "-login-flood", "300ms", "-forgers", "3", "-forged-flood", "200ms",
		"-soak", "500ms", "-soak-workers", "3"}, &out)
	if err != nil {
		t.Fatalf("flood: %v\n%s", err, out.String())
	}
	report = out.String()
	reportHas(t, report,
		": peak resident memory of the serve | **",
		": answers 500 | **0** of ",
		": 503 answers without Retry-After | 0 | 0 | met |",
		"| verified GET /api/v1/token/ of one client during that flood: p99 | ",
		"| control: the same during 8 clients of GET /healthz | ",
		"| 3 clients of forged user tokens, 200ms alone: user-token store reads | **0** for ",
		"| forged user tokens answered 401 | ",
		"| verified p50 of one client during 3 forgers / idle | ",
		"| 500ms mixed soak after the floods, 3 clients: answers 500 | **0** of ",
	)
	for line := range strings.SplitSeq(report, "\n") {
		// The verified client and the forged tokens' answers: no
		// failures, whatever the times.
		if strings.HasPrefix(line, "| forged user tokens answered 401") && !strings.HasSuffix(line, "| met |") ||
			strings.HasPrefix(line, "| verified") && !strings.Contains(line, "non-2xx 0") {
			t.Errorf("flood: %s", line)
		}
	}
}

// reportHas checks that report holds each of wants.
func reportHas(t *testing.T, report string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
