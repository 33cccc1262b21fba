package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

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
	for _, want := range []string{"GET /healthz", "GET /api/v1/token", "authenticated / bare throughput", "logins/s"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	for line := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(line, "GET ") {
			f := strings.Fields(line)
			if nonOK, errs := f[len(f)-2], f[len(f)-1]; nonOK != "0" || errs != "0" {
				t.Errorf("got non-2xx %s, errors %s: %s", nonOK, errs, line)
			}
		}
	}
}
