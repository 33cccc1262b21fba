package deploytest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// repoRoot is the repository root seen from this package's directory, where
// `go test` runs.
const repoRoot = "../.."

// The services docker-compose.yml must define.
const (
	mongoService    = "mongo"
	latchkeyService = "latchkey"
)

// mongoDefaultPort is the port mongod listens on without --port, and the one a
// mongodb:// URI means when it names none.
const mongoDefaultPort = "27017"

// composeFile is the part of a Compose file the checks read. Fields that
// Compose accepts in several shapes (a string or a list, a list or a map) are
// kept as `any` and normalised by the helpers below.
type composeFile struct {
	Services map[string]*composeService `yaml:"services"`
}

type composeService struct {
	Image           string              `yaml:"image"`
	StopGracePeriod any                 `yaml:"stop_grace_period"`
	Build           any                 `yaml:"build"`
	Command         any                 `yaml:"command"`
	Healthcheck     *composeHealthcheck `yaml:"healthcheck"`
	DependsOn       any                 `yaml:"depends_on"`
	Environment     any                 `yaml:"environment"`
	Ports           []any               `yaml:"ports"`
}

type composeHealthcheck struct {
	Test    any  `yaml:"test"`
	Disable bool `yaml:"disable"`
}

func parseCompose(data []byte) (*composeFile, error) {
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func readCompose(t *testing.T) *composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatalf("read docker-compose.yml: %v", err)
	}
	c, err := parseCompose(data)
	if err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return c
}

// TestCompose checks the wiring of docker-compose.yml: a MongoDB replica set
// that reports healthy, and Latchkey built from the repository's Dockerfile,
// started once MongoDB is healthy, pointed at it and reachable on the port
// that is published.
func TestCompose(t *testing.T) {
	for _, p := range checkCompose(readCompose(t), repoRoot) {
		t.Error(p)
	}
}

// TestComposeChecksFail breaks the real compose file in one way at a time and
// expects the checks to notice, so that no check passes vacuously.
func TestComposeChecksFail(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *composeFile)
		want   string // a substring of the expected problem
	}{
		{"no mongo service", func(c *composeFile) { delete(c.Services, mongoService) }, `no service "mongo"`},
		{"no latchkey service", func(c *composeFile) { delete(c.Services, latchkeyService) }, `no service "latchkey"`},
		{"mongo without replSet", func(c *composeFile) {
			c.Services[mongoService].Command = []any{"--bind_ip_all"}
		}, "--replSet"},
		{"mongo without healthcheck", func(c *composeFile) { c.Services[mongoService].Healthcheck = nil }, "mongo has no healthcheck"},
		{"mongo healthcheck disabled", func(c *composeFile) { c.Services[mongoService].Healthcheck.Disable = true }, "mongo has no healthcheck"},
		{"mongo healthcheck never initiates", func(c *composeFile) {
			c.Services[mongoService].Healthcheck.Test = []any{"CMD", "mongosh", "--eval", "db.adminCommand('ping')"}
		}, "rs.initiate"},
		{"replica set member not reachable from other containers", func(c *composeFile) {
			hc := c.Services[mongoService].Healthcheck
			var test []any
			for _, w := range words(hc.Test) {
				test = append(test, strings.ReplaceAll(w, "mongo:27017", "localhost:27017"))
			}
			hc.Test = test
		}, `"mongo:27017"`},
		{"latchkey not built", func(c *composeFile) { c.Services[latchkeyService].Build = nil }, "build"},
		{"latchkey built from elsewhere", func(c *composeFile) { c.Services[latchkeyService].Build = "./cmd" }, "build context"},
		{"latchkey built from another Dockerfile", func(c *composeFile) {
			c.Services[latchkeyService].Build = map[string]any{"context": ".", "dockerfile": "Dockerfile.dev"}
		}, "Dockerfile.dev"},
		{"no depends_on", func(c *composeFile) { c.Services[latchkeyService].DependsOn = nil }, "depends_on"},
		{"depends_on list form has no condition", func(c *composeFile) {
			c.Services[latchkeyService].DependsOn = []any{mongoService}
		}, "service_healthy"},
		{"depends_on service_started", func(c *composeFile) {
			c.Services[latchkeyService].DependsOn = map[string]any{mongoService: map[string]any{"condition": "service_started"}}
		}, "service_healthy"},
		{"no mongodb uri", func(c *composeFile) { delEnv(c, "LATCHKEY_STORE_MONGODB_URI") }, "LATCHKEY_STORE_MONGODB_URI"},
		{"uri names another host", func(c *composeFile) {
			setEnv(c, "LATCHKEY_STORE_MONGODB_URI", "mongodb://localhost:27017/?replicaSet=rs0")
		}, `host "localhost"`},
		{"uri names another port", func(c *composeFile) {
			setEnv(c, "LATCHKEY_STORE_MONGODB_URI", "mongodb://mongo:27018/?replicaSet=rs0")
		}, "port"},
		{"uri without replicaSet", func(c *composeFile) {
			setEnv(c, "LATCHKEY_STORE_MONGODB_URI", "mongodb://mongo:27017/")
		}, "replicaSet"},
		{"uri with another replicaSet", func(c *composeFile) {
			setEnv(c, "LATCHKEY_STORE_MONGODB_URI", "mongodb://mongo:27017/?replicaSet=rs1")
		}, `"rs1"`},
		{"server on loopback", func(c *composeFile) { setEnv(c, "LATCHKEY_SERVER_ADDR", "127.0.0.1:8080") }, "0.0.0.0"},
		{"server not set", func(c *composeFile) { delEnv(c, "LATCHKEY_SERVER_ADDR") }, "LATCHKEY_SERVER_ADDR"},
		{"server on an unpublished port", func(c *composeFile) { setEnv(c, "LATCHKEY_SERVER_ADDR", "0.0.0.0:9090") }, "9090"},
		{"no ports", func(c *composeFile) { c.Services[latchkeyService].Ports = nil }, "ports"},
		{"published on every interface", func(c *composeFile) { c.Services[latchkeyService].Ports = []any{"8080:8080"} }, "127.0.0.1"},
		{"admin password in the file", func(c *composeFile) { setEnv(c, "LATCHKEY_ADMIN_PASSWORD", "hunter2") }, "LATCHKEY_ADMIN_PASSWORD"},
		{"shell healthcheck on distroless", func(c *composeFile) {
			c.Services[latchkeyService].Healthcheck = &composeHealthcheck{Test: "curl -f http://localhost:8080/healthz"}
		}, "shell"},
		{"curl healthcheck on distroless", func(c *composeFile) {
			c.Services[latchkeyService].Healthcheck = &composeHealthcheck{Test: []any{"CMD", "curl", "-f", "http://localhost:8080/healthz"}}
		}, "curl"},
		{"latchkey without healthcheck", func(c *composeFile) { c.Services[latchkeyService].Healthcheck = nil }, "latchkey has no healthcheck"},
		{"latchkey healthcheck disabled", func(c *composeFile) { c.Services[latchkeyService].Healthcheck.Disable = true }, "latchkey has no healthcheck"},
		{"healthcheck not the binary", func(c *composeFile) {
			c.Services[latchkeyService].Healthcheck = &composeHealthcheck{Test: []any{"CMD", "/latchkey", "version"}}
		}, "latchkey healthcheck"},
		{"healthcheck of another binary", func(c *composeFile) {
			c.Services[latchkeyService].Healthcheck = &composeHealthcheck{Test: []any{"CMD", "/bin/healthcheck"}}
		}, "latchkey healthcheck"},
		{"no stop grace period", func(c *composeFile) { c.Services[latchkeyService].StopGracePeriod = nil }, "stop_grace_period"},
		{"stop grace period shorter than the shutdown", func(c *composeFile) {
			c.Services[latchkeyService].StopGracePeriod = "10s"
		}, "server.shutdown_timeout"},
		{"stop grace period equal to the shutdown", func(c *composeFile) {
			c.Services[latchkeyService].StopGracePeriod = "15s"
		}, "server.shutdown_timeout"},
		{"shutdown timeout raised above the grace period", func(c *composeFile) {
			setEnv(c, "LATCHKEY_SERVER_SHUTDOWN_TIMEOUT", "45s")
		}, "server.shutdown_timeout"},
		{"stop grace period not a duration", func(c *composeFile) {
			c.Services[latchkeyService].StopGracePeriod = "soon"
		}, "stop_grace_period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCompose(t)
			before := fmt.Sprintf("%#v", flatten(c))
			tt.mutate(c)
			if fmt.Sprintf("%#v", flatten(c)) == before {
				t.Fatalf("mutation changed nothing; update the test to match docker-compose.yml")
			}
			problems := checkCompose(c, repoRoot)
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					t.Logf("caught: %s", p)
					return
				}
			}
			t.Errorf("problems = %q, want one mentioning %q", problems, tt.want)
		})
	}
}

// TestComposeAcceptsEquivalentForms rewrites parts of the real compose file
// into other shapes Compose accepts and expects no problems.
func TestComposeAcceptsEquivalentForms(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *composeFile)
	}{
		{"environment as a list", func(c *composeFile) {
			env, err := environment(c.Services[latchkeyService].Environment)
			if err != nil {
				t.Fatal(err)
			}
			var list []any
			for k, v := range env {
				list = append(list, k+"="+v)
			}
			c.Services[latchkeyService].Environment = list
		}},
		{"build as a map", func(c *composeFile) {
			c.Services[latchkeyService].Build = map[string]any{"context": ".", "dockerfile": "Dockerfile"}
		}},
		{"command as a string", func(c *composeFile) {
			c.Services[mongoService].Command = strings.Join(words(c.Services[mongoService].Command), " ")
		}},
		{"replSet with =", func(c *composeFile) {
			c.Services[mongoService].Command = []any{"--replSet=rs0", "--bind_ip_all"}
		}},
		{"ports in long form", func(c *composeFile) {
			c.Services[latchkeyService].Ports = []any{map[string]any{"target": uint64(8080), "published": "8080", "host_ip": "127.0.0.1"}}
		}},
		{"stop grace period in minutes", func(c *composeFile) { c.Services[latchkeyService].StopGracePeriod = "1m30s" }},
		{"healthcheck as the binary's name on PATH-less exec form", func(c *composeFile) {
			c.Services[latchkeyService].Healthcheck = &composeHealthcheck{Test: []any{"CMD", "/latchkey", "healthcheck", "--addr", "0.0.0.0:8080"}}
		}},
		{"admin password passed through", func(c *composeFile) {
			c.Services[latchkeyService].Environment = []any{
				"LATCHKEY_STORE_MONGODB_URI=mongodb://mongo:27017/?replicaSet=rs0",
				"LATCHKEY_SERVER_ADDR=0.0.0.0:8080",
				"LATCHKEY_ADMIN_PASSWORD",
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCompose(t)
			tt.mutate(c)
			for _, p := range checkCompose(c, repoRoot) {
				t.Error(p)
			}
		})
	}
}

func TestEnvironmentForms(t *testing.T) {
	const doc = `
services:
  asmap:
    environment:
      A: one
      B: 2
      C:
      D: ${D:-four}
  aslist:
    environment:
      - A=one
      - B=2
      - C
      - D=${D:-four}
`
	c, err := parseCompose([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "one", "B": "2", "C": "${C}", "D": "${D:-four}"}
	for _, name := range []string{"asmap", "aslist"} {
		got, err := environment(c.Services[name].Environment)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: environment = %q, want %q", name, got, want)
		}
	}
	if got, want := interpolate(want["D"]), "four"; got != want {
		t.Errorf("interpolate(%q) = %q, want %q", "${D:-four}", got, want)
	}
	if _, err := environment("A=1"); err == nil {
		t.Errorf("environment(a string) = nil error, want one")
	}
}

func TestParseShortPort(t *testing.T) {
	tests := []struct {
		in   string
		want portMapping
	}{
		{"8080", portMapping{target: "8080"}},
		{"9000:8080", portMapping{published: "9000", target: "8080"}},
		{"127.0.0.1:8080:8080", portMapping{hostIP: "127.0.0.1", published: "8080", target: "8080"}},
		{"127.0.0.1:8080:8080/tcp", portMapping{hostIP: "127.0.0.1", published: "8080", target: "8080"}},
		{"[::1]:8080:8080", portMapping{hostIP: "::1", published: "8080", target: "8080"}},
	}
	for _, tt := range tests {
		if got := parseShortPort(tt.in); got != tt.want {
			t.Errorf("parseShortPort(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// checkCompose returns one message per problem found in c. root is the
// directory the compose file lives in; build contexts are resolved from it.
func checkCompose(c *composeFile, root string) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	mongo := c.Services[mongoService]
	lk := c.Services[latchkeyService]
	if mongo == nil {
		fail("docker-compose.yml: no service %q: got services %q", mongoService, serviceNames(c))
	}
	if lk == nil {
		fail("docker-compose.yml: no service %q: got services %q", latchkeyService, serviceNames(c))
	}
	if mongo == nil || lk == nil {
		return problems
	}

	// MongoDB: a replica set that initiates itself and reports healthy.
	mongoArgs := words(mongo.Command)
	replSet := flagValue(mongoArgs, "--replSet")
	if replSet == "" {
		fail("mongo: command = %q, want --replSet <name> (Latchkey expects a replica set)", mongoArgs)
	}
	mongoPort := flagValue(mongoArgs, "--port")
	if mongoPort == "" {
		mongoPort = mongoDefaultPort
	}
	if !strings.HasPrefix(mongo.Image, "mongo:") || strings.HasSuffix(mongo.Image, ":latest") {
		fail("mongo: image = %q, want a pinned mongo:<version> image", mongo.Image)
	}
	if test, ok := healthTest(mongo.Healthcheck); !ok {
		fail("mongo has no healthcheck: got %+v, want one, since latchkey waits for service_healthy", mongo.Healthcheck)
	} else {
		script := strings.Join(test, " ")
		if !strings.Contains(script, "rs.initiate") {
			fail("mongo: healthcheck test = %q, want it to rs.initiate the replica set on first start", script)
		}
		if replSet != "" && !strings.Contains(script, "'"+replSet+"'") && !strings.Contains(script, `"`+replSet+`"`) {
			fail("mongo: healthcheck test = %q, want it to initiate replica set %q (the --replSet name)", script, replSet)
		}
		if member := mongoService + ":" + mongoPort; !strings.Contains(script, "'"+member+"'") && !strings.Contains(script, `"`+member+`"`) {
			fail("mongo: healthcheck test = %q, want the replica set member host %q, which other containers can resolve", script, member)
		}
	}

	// Latchkey: built from the repository's Dockerfile.
	if ctx, dockerfile, ok := buildSpec(lk.Build); !ok {
		fail("latchkey: build = %#v, want \".\" (the repository root and its Dockerfile)", lk.Build)
	} else {
		if filepath.Clean(ctx) != "." {
			fail("latchkey: build context = %q, want \".\" (the repository root)", ctx)
		}
		if filepath.Clean(dockerfile) != "Dockerfile" {
			fail("latchkey: build dockerfile = %q, want %q", dockerfile, "Dockerfile")
		} else if _, err := os.Stat(filepath.Join(root, ctx, dockerfile)); err != nil {
			fail("latchkey: build dockerfile: %v", err)
		}
	}

	// Latchkey: started once MongoDB is healthy.
	if cond, listed := dependsOn(lk.DependsOn, mongoService); !listed {
		fail("latchkey: depends_on = %#v, want %q with condition service_healthy", lk.DependsOn, mongoService)
	} else if cond != "service_healthy" {
		fail("latchkey: depends_on %s condition = %q, want %q", mongoService, cond, "service_healthy")
	}

	// Latchkey: configured for that MongoDB.
	env, err := environment(lk.Environment)
	if err != nil {
		fail("latchkey: %v", err)
	}
	if raw, ok := env["LATCHKEY_STORE_MONGODB_URI"]; !ok {
		fail("latchkey: environment has no LATCHKEY_STORE_MONGODB_URI, want mongodb://%s:%s/?replicaSet=%s", mongoService, mongoPort, replSet)
	} else {
		uri := interpolate(raw)
		hosts, opts, err := parseMongoURI(uri)
		if err != nil {
			fail("latchkey: LATCHKEY_STORE_MONGODB_URI = %q: %v", uri, err)
		}
		for _, h := range hosts {
			host, port := h, mongoDefaultPort
			if hh, pp, err := net.SplitHostPort(h); err == nil {
				host, port = hh, pp
			}
			if host != mongoService {
				fail("latchkey: LATCHKEY_STORE_MONGODB_URI = %q names host %q, want the service name %q", uri, host, mongoService)
			}
			if port != mongoPort {
				fail("latchkey: LATCHKEY_STORE_MONGODB_URI = %q names port %s, want %s (the port mongo listens on)", uri, port, mongoPort)
			}
		}
		if got := opts["replicaset"]; got != replSet {
			fail("latchkey: LATCHKEY_STORE_MONGODB_URI = %q has replicaSet %q, want %q (mongo's --replSet)", uri, got, replSet)
		}
	}

	// Latchkey: listening on every interface, on the port that is published.
	var targets []string
	ports, err := portMappings(lk.Ports)
	if err != nil {
		fail("latchkey: %v", err)
	}
	for _, p := range ports {
		targets = append(targets, p.target)
		if p.hostIP != "127.0.0.1" {
			fail("latchkey: ports maps %+v on host address %q, want %q (put a TLS proxy in front to expose it)", p, p.hostIP, "127.0.0.1")
		}
	}
	if len(ports) == 0 {
		fail("latchkey: ports = %#v, want the server port published, e.g. \"127.0.0.1:8080:8080\"", lk.Ports)
	}
	if raw, ok := env["LATCHKEY_SERVER_ADDR"]; !ok {
		fail("latchkey: environment has no LATCHKEY_SERVER_ADDR, want 0.0.0.0:<port> (the default 127.0.0.1 is unreachable from outside the container)")
	} else {
		addr := interpolate(raw)
		host, port, err := net.SplitHostPort(addr)
		switch {
		case err != nil:
			fail("latchkey: LATCHKEY_SERVER_ADDR = %q: %v", addr, err)
		case host != "0.0.0.0":
			fail("latchkey: LATCHKEY_SERVER_ADDR = %q binds %q, want 0.0.0.0", addr, host)
		case len(ports) > 0 && !slices.Contains(targets, port):
			fail("latchkey: LATCHKEY_SERVER_ADDR = %q listens on port %s, want a port that ports publishes: %q", addr, port, targets)
		}
	}

	// Latchkey: no secret in the file.
	if raw, ok := env["LATCHKEY_ADMIN_PASSWORD"]; ok && !fromHostEnv(raw, "LATCHKEY_ADMIN_PASSWORD") {
		fail("latchkey: LATCHKEY_ADMIN_PASSWORD = %q, want it taken from the host, e.g. ${LATCHKEY_ADMIN_PASSWORD:-}", raw)
	}

	problems = append(problems, checkRuntime(lk, env, root)...)

	// Latchkey: the image is distroless, so a healthcheck can run neither a
	// shell nor curl/wget.
	if test, ok := healthTest(lk.Healthcheck); ok {
		if _, isString := lk.Healthcheck.Test.(string); isString || test[0] == "CMD-SHELL" {
			fail("latchkey: healthcheck test = %q needs a shell, which the distroless image lacks", test)
		} else {
			for _, w := range test {
				if b := filepath.Base(w); b == "curl" || b == "wget" {
					fail("latchkey: healthcheck test = %q runs %s, which the distroless image lacks", test, b)
				}
			}
		}
	}
	return problems
}

func serviceNames(c *composeFile) []string {
	var names []string
	for name := range c.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// flatten gives a comparable view of c: its services with pointers followed.
func flatten(c *composeFile) map[string]any {
	out := map[string]any{}
	for name, s := range c.Services {
		if s == nil {
			out[name] = nil
			continue
		}
		v := *s
		var hc any
		if v.Healthcheck != nil {
			hc = *v.Healthcheck
		}
		v.Healthcheck = nil
		out[name] = []any{v, hc}
	}
	return out
}

func setEnv(c *composeFile, key, value string) {
	s := c.Services[latchkeyService]
	env, _ := environment(s.Environment)
	env[key] = value
	s.Environment = toAnyMap(env)
}

func delEnv(c *composeFile, key string) {
	s := c.Services[latchkeyService]
	env, _ := environment(s.Environment)
	delete(env, key)
	s.Environment = toAnyMap(env)
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// scalar renders a YAML scalar as Compose reads it; null is "".
func scalar(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// asMap returns v as a map with string keys, if it is a mapping.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}

// words returns a command or healthcheck test, given as a string or a list,
// as a list of words. A string is split on white space.
func words(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, w := range v {
			out = append(out, scalar(w))
		}
		return out
	case []string:
		return v
	}
	return []string{fmt.Sprint(v)}
}

// flagValue returns the value of a flag given as "--flag value" or
// "--flag=value", or "" if the flag is absent.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// healthTest returns the words of an enabled healthcheck's test.
func healthTest(hc *composeHealthcheck) ([]string, bool) {
	if hc == nil || hc.Disable {
		return nil, false
	}
	test := words(hc.Test)
	if len(test) == 0 || test[0] == "NONE" {
		return nil, false
	}
	return test, true
}

// buildSpec returns the context and Dockerfile of a service's build, given as
// a context path or as a map.
func buildSpec(v any) (context, dockerfile string, ok bool) {
	if s, isString := v.(string); isString {
		return s, "Dockerfile", s != ""
	}
	m, isMap := asMap(v)
	if !isMap {
		return "", "", false
	}
	context, dockerfile = scalar(m["context"]), scalar(m["dockerfile"])
	if context == "" {
		context = "."
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	return context, dockerfile, true
}

// dependsOn reports whether depends_on (a list or a map) lists service, and
// with which condition; the list form means service_started.
func dependsOn(v any, service string) (condition string, listed bool) {
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if scalar(x) == service {
				return "service_started", true
			}
		}
		return "", false
	}
	m, ok := asMap(v)
	if !ok {
		return "", false
	}
	d, ok := m[service]
	if !ok {
		return "", false
	}
	dm, _ := asMap(d)
	condition = scalar(dm["condition"])
	if condition == "" {
		condition = "service_started"
	}
	return condition, true
}

// environment returns a service's environment, given as a list of KEY=VALUE
// or as a map, with values uninterpolated. A key without a value takes its
// value from the host, which is written here as ${KEY}.
func environment(v any) (map[string]string, error) {
	env := map[string]string{}
	if v == nil {
		return env, nil
	}
	if m, ok := asMap(v); ok {
		for k, val := range m {
			if val == nil {
				env[k] = "${" + k + "}"
			} else {
				env[k] = scalar(val)
			}
		}
		return env, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("environment is %T, want a list or a map", v)
	}
	for _, item := range list {
		k, val, hasValue := strings.Cut(scalar(item), "=")
		if !hasValue {
			val = "${" + k + "}"
		}
		env[k] = val
	}
	return env, nil
}

var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate resolves Compose variables as if no host variable were set, so
// that the checks do not depend on the environment they run in:
// ${X:-default} is its default, ${X} is empty, $$ is $.
func interpolate(s string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := interpolation.FindStringSubmatch(m)
		if op := sub[2]; op == "-" || op == ":-" {
			return sub[3]
		}
		return ""
	})
}

// fromHostEnv reports whether a raw environment value is the host variable
// name, with or without a default.
func fromHostEnv(raw, name string) bool {
	sub := interpolation.FindStringSubmatch(raw)
	return sub != nil && sub[0] == raw && (sub[1] == name || sub[4] == name)
}

// parseMongoURI returns the hosts of a mongodb:// URI and its options, keyed
// in lower case (URI options are case-insensitive).
func parseMongoURI(uri string) (hosts []string, opts map[string]string, err error) {
	rest, ok := strings.CutPrefix(uri, "mongodb://")
	if !ok {
		return nil, nil, fmt.Errorf("want a mongodb:// URI")
	}
	hostPart, query := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		hostPart = rest[:i]
		_, query, _ = strings.Cut(rest[i:], "?")
	}
	if at := strings.LastIndex(hostPart, "@"); at >= 0 {
		hostPart = hostPart[at+1:]
	}
	if hostPart == "" {
		return nil, nil, fmt.Errorf("no host")
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return nil, nil, err
	}
	opts = map[string]string{}
	for k, v := range values {
		opts[strings.ToLower(k)] = v[len(v)-1]
	}
	return strings.Split(hostPart, ","), opts, nil
}

type portMapping struct {
	hostIP, published, target string
}

// portMappings reads ports in short ("[ip:]published:target[/proto]") and
// long (a map with target, published, host_ip) form.
func portMappings(list []any) ([]portMapping, error) {
	var out []portMapping
	for _, p := range list {
		if m, ok := asMap(p); ok {
			out = append(out, portMapping{
				hostIP:    scalar(m["host_ip"]),
				published: scalar(m["published"]),
				target:    scalar(m["target"]),
			})
			continue
		}
		switch p.(type) {
		case string, int, int64, uint64, float64:
			out = append(out, parseShortPort(interpolate(scalar(p))))
		default:
			return nil, fmt.Errorf("ports entry %#v is %T, want a string or a map", p, p)
		}
	}
	return out, nil
}

func parseShortPort(s string) portMapping {
	s, _, _ = strings.Cut(s, "/")
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return portMapping{target: s}
	}
	pm := portMapping{target: s[i+1:]}
	rest := s[:i]
	j := strings.LastIndex(rest, ":")
	if strings.HasSuffix(rest, "]") || j < 0 {
		pm.published = rest
		return pm
	}
	pm.published = rest[j+1:]
	pm.hostIP = strings.Trim(rest[:j], "[]")
	return pm
}
