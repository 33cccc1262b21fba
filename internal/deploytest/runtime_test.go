package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goccy/go-yaml"
)

// checkRuntime checks how Compose runs and stops Latchkey: a health check
// made with the binary itself (`latchkey healthcheck`: the image has no
// shell and no curl), and a stop grace period longer than the server's
// shutdown_timeout, so SIGKILL never cuts off the in-flight requests and
// the last_used flush that SIGTERM starts. env is the service's
// environment; root is the repository root.
func checkRuntime(lk *composeService, env map[string]string, root string) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if test, ok := healthTest(lk.Healthcheck); !ok {
		fail("latchkey has no healthcheck: got %+v, want [\"CMD\", \"/latchkey\", \"healthcheck\"]", lk.Healthcheck)
	} else if len(test) < 3 || test[0] != "CMD" || filepath.Base(test[1]) != "latchkey" || test[2] != "healthcheck" {
		fail("latchkey: healthcheck test = %q, want the binary's own check, `latchkey healthcheck` ([\"CMD\", \"/latchkey\", \"healthcheck\"])", test)
	}

	shutdown, source, err := shutdownTimeout(env, root)
	if err != nil {
		fail("latchkey: server.shutdown_timeout: %v", err)
		return problems
	}
	raw := scalar(lk.StopGracePeriod)
	if raw == "" {
		fail("latchkey: no stop_grace_period, want one longer than server.shutdown_timeout (%s, %s); Docker's default is 10s", shutdown, source)
		return problems
	}
	grace, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		fail("latchkey: stop_grace_period = %q is not a duration such as 30s", raw)
	case grace <= shutdown:
		fail("latchkey: stop_grace_period = %s, want longer than server.shutdown_timeout (%s, %s)", grace, shutdown, source)
	}
	return problems
}

// shutdownTimeout returns server.shutdown_timeout as the container sees it:
// LATCHKEY_SERVER_SHUTDOWN_TIMEOUT when the service sets it, else the
// default that configs/latchkey.yaml documents.
func shutdownTimeout(env map[string]string, root string) (time.Duration, string, error) {
	if raw, ok := env["LATCHKEY_SERVER_SHUTDOWN_TIMEOUT"]; ok {
		d, err := time.ParseDuration(interpolate(raw))
		return d, "LATCHKEY_SERVER_SHUTDOWN_TIMEOUT", err
	}
	data, err := os.ReadFile(filepath.Join(root, "configs", "latchkey.yaml"))
	if err != nil {
		return 0, "", err
	}
	var cfg struct {
		Server struct {
			ShutdownTimeout string `yaml:"shutdown_timeout"`
		} `yaml:"server"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return 0, "", err
	}
	d, err := time.ParseDuration(cfg.Server.ShutdownTimeout)
	return d, "the default in configs/latchkey.yaml", err
}
