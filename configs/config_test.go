package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// writeFile writes a YAML file into a temporary directory and returns its path.
func writeFile(tb testing.TB, text string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "latchkey.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestDefaultFileIsDefault(t *testing.T) {
	got, err := Load("latchkey.yaml", nil, nil)
	if err != nil {
		t.Fatalf("Load(latchkey.yaml): %v", err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(latchkey.yaml):\ngot  %+v\nwant %+v (Default())", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}

// TestDefaultFileListsEveryKey keeps latchkey.yaml complete: every key is
// written out, under a comment line.
func TestDefaultFileListsEveryKey(t *testing.T) {
	data, err := os.ReadFile("latchkey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]map[string]any
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	for key, f := range fieldsOf(&Config{}) {
		section, name, isLeaf := strings.Cut(key, ".")
		if _, ok := file[section][name]; isLeaf && f.Kind() != reflect.Struct && !ok {
			t.Errorf("latchkey.yaml has no %s, want every key with its default", key)
		}
	}
	lines := strings.Split(string(data), "\n")
	keyLine := regexp.MustCompile(`^\s+[a-z_]+:`)
	for i, line := range lines {
		if keyLine.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			t.Errorf("latchkey.yaml line %d %q: got no comment line above it, want one", i+1, line)
		}
	}
}

func TestEnvNamesAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for key := range fieldsOf(&Config{}) {
		name := envName(key)
		if other, ok := seen[name]; ok {
			t.Errorf("keys %s and %s both read %s", key, other, name)
		}
		seen[name] = key
	}
	if got, want := envName("password.memory_kib"), "LATCHKEY_PASSWORD_MEMORY_KIB"; got != want {
		t.Errorf("envName(password.memory_kib) = %s, want %s", got, want)
	}
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, `
server:
  addr: 10.0.0.1:1
  trusted_proxies: [10.0.0.0/8, "192.168.1.1"]
store:
  mongodb_uri: mongodb://file
cache:
  ttl: 3s
`)
	tests := []struct {
		name  string
		path  string
		env   []string
		flags map[string]string
		want  func(c *Config)
	}{
		{name: "defaults", want: func(c *Config) {}},
		{name: "file over defaults", path: file, want: func(c *Config) {
			c.Server.Addr, c.Store.MongoDBURI, c.Cache.TTL = "10.0.0.1:1", "mongodb://file", 3*time.Second
			c.Server.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
		}},
		{name: "env over file", path: file, env: []string{
			"LATCHKEY_SERVER_ADDR=10.0.0.2:2", "LATCHKEY_CACHE_TTL=4s", "LATCHKEY_PASSWORD_MEMORY_KIB=65536",
			"LATCHKEY_SERVER_TRUSTED_PROXIES=10.1.0.0/16, ::1", "LATCHKEY_ADMIN_PASSWORD=secret", "HOME=/root",
			"LATCHKEY_SERVER_READ_TIMEOUT=3s", "LATCHKEY_LOG_ACCESS_BUFFER=0",
		}, want: func(c *Config) {
			c.Server.Addr, c.Store.MongoDBURI, c.Cache.TTL = "10.0.0.2:2", "mongodb://file", 4*time.Second
			c.Server.ReadTimeout = 3 * time.Second
			c.Log.AccessBuffer = 0
			c.Server.TrustedProxies = []string{"10.1.0.0/16", "::1"}
			c.Password.Memory = 65536
		}},
		{name: "empty env values clear the file's", path: file, env: []string{
			"LATCHKEY_STORE_MONGODB_URI=", "LATCHKEY_SERVER_TRUSTED_PROXIES=",
		}, want: func(c *Config) {
			c.Server.Addr, c.Cache.TTL = "10.0.0.1:1", 3*time.Second
		}},
		{name: "flags over env and file", path: file,
			env:   []string{"LATCHKEY_SERVER_ADDR=10.0.0.2:2", "LATCHKEY_CACHE_TTL=4s", "LATCHKEY_STORE_DATA_DIR=/env"},
			flags: map[string]string{"server.addr": "10.0.0.3:3", "store.mongodb_uri": "mongodb://flag", "store.data_dir": "/flag"},
			want: func(c *Config) {
				c.Server.Addr, c.Store.MongoDBURI, c.Cache.TTL = "10.0.0.3:3", "mongodb://flag", 4*time.Second
				c.Server.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
				c.Store.DataDir = "/flag"
			}},
		{name: "leak keys and tracing from env", env: []string{
			"LATCHKEY_LEAKS_PUBLIC_KEYS=old:MFkw AAAA,new:-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
			"LATCHKEY_TRACING_SAMPLE_RATIO=0.25", "LATCHKEY_TRACING_OTLP_ENDPOINT=http://collector:4318",
		}, want: func(c *Config) {
			c.Leaks.PublicKeys = []string{"old:MFkw AAAA", "new:-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"}
			c.Tracing.SampleRatio, c.Tracing.OTLPEndpoint = 0.25, "http://collector:4318"
		}},
		{name: "flags without file", flags: map[string]string{"server.addr": ":9000", "cache.ttl": "0"}, want: func(c *Config) {
			c.Server.Addr, c.Cache.TTL = ":9000", 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.path, tt.env, tt.flags)
			if err != nil {
				t.Fatalf("Load: got error %v, want nil", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    string // "" for no error
	}{
		{"empty file", "", ""},
		{"comments only", "# nothing\n", ""},
		{"empty section", "log:\ncache:\n  ttl: 1s\n", ""},
		{"unknown key", "cache:\n  ttl: 1s\n  tll: 2s\n", "config: cache.tll: unknown key ("},
		{"unknown section", "cach:\n  ttl: 2s\n", "config: cach: unknown key"},
		{"line of the bad key", "log:\n  level: info\n  colour: red\n", "latchkey.yaml:3)"},
		{"bad duration", "cache:\n  ttl: banana\n", `config: cache.ttl: "banana" is not a duration`},
		{"duration without unit", "server:\n  shutdown_timeout: 30\n", `config: server.shutdown_timeout: "30" is not a duration`},
		{"bad integer", "cache:\n  size: lots\n", `config: cache.size: "lots" is not a whole number`},
		{"negative unsigned", "password:\n  memory_kib: -1\n", `config: password.memory_kib: "-1" is not a whole number`},
		{"overflow", "password:\n  parallelism: 300\n", "config: password.parallelism: 300 is out of range for uint8"},
		{"list for a single value", "server:\n  addr: [a, b]\n", "config: server.addr: must be a single value, not a list"},
		{"mapping for a single value", "server:\n  addr:\n    host: x\n", "config: server.addr: must be a single value"},
		{"mapping in a list", "server:\n  trusted_proxies:\n    - a: b\n", "config: server.trusted_proxies: must be a single value"},
		{"value for a section", "server: 8080\n", "config: server: must be a mapping of keys"},
		{"list at the top", "- server\n", "must be a mapping of sections"},
		{"alias", "server:\n  addr: &a 1.2.3.4:5\nstore:\n  data_dir: *a\n", "config: store.data_dir: YAML aliases are not supported"},
		{"two documents", "log:\n  level: info\n---\nlog:\n  level: debug\n", "more than one YAML document"},
		{"duplicate key", "cache:\n  ttl: 1s\n  ttl: 2s\n", "ttl"},
		{"syntax error", "cache:\n  ttl: [1s\n", "config: "},
		{"invalid once loaded", "log:\n  level: loud\n", `config: log.level: "loud" must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.yaml), nil, nil)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(path, nil, nil)
	checkErr(t, err, path)
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{"typo in key", []string{"LATCHKEY_CACHE_TTTL=2s"}, "config: LATCHKEY_CACHE_TTTL: environment variable matches no configuration key"},
		{"typo in section", []string{"LATCHKEY_SERVR_ADDR=:80"}, "LATCHKEY_SERVR_ADDR"},
		{"section alone", []string{"LATCHKEY_CACHE=1"}, "LATCHKEY_CACHE:"},
		{"bad value", []string{"LATCHKEY_CACHE_TTL=banana"}, `config: cache.ttl: "banana" is not a duration such as "2s" or "1h30m" (LATCHKEY_CACHE_TTL)`},
		{"bad list item", []string{"LATCHKEY_SERVER_TRUSTED_PROXIES=10.0.0.1,proxy"}, `config: server.trusted_proxies: "proxy" is not an IP address`},
		{"invalid once loaded", []string{"LATCHKEY_CACHE_SIZE=0"}, "config: cache.size: must be at least 1"},
		{"bad number", []string{"LATCHKEY_TRACING_SAMPLE_RATIO=half"}, `config: tracing.sample_ratio: "half" is not a number`},
		{"NaN", []string{"LATCHKEY_TRACING_SAMPLE_RATIO=NaN"}, `config: tracing.sample_ratio: "NaN" is not a number`},
		{"admin password and others ignored", []string{"LATCHKEY_ADMIN_PASSWORD=x", "latchkey_cache_ttl=x", "GOPATH=/go", "NOEQUALS"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env, nil)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestLoadFlagErrors(t *testing.T) {
	tests := []struct {
		name    string
		flags   map[string]string
		wantErr string
	}{
		{"unknown key", map[string]string{"server.adr": ":80"}, "config: server.adr: unknown key (flag)"},
		{"section", map[string]string{"server": ":80"}, "config: server: unknown key (flag)"},
		{"bad value", map[string]string{"store.timeout": "soon"}, `config: store.timeout: "soon" is not a duration`},
		{"invalid once loaded", map[string]string{"server.addr": "localhost"}, "config: server.addr:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", nil, tt.flags)
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(c *Config)
		wantErr string // "" for valid
	}{
		{"default", func(c *Config) {}, ""},
		{"empty addr", func(c *Config) { c.Server.Addr = "" }, "config: server.addr: must not be empty"},
		{"addr without port", func(c *Config) { c.Server.Addr = "localhost" }, "config: server.addr:"},
		{"addr with named port", func(c *Config) { c.Server.Addr = "localhost:http" }, "config: server.addr:"},
		{"addr on every interface", func(c *Config) { c.Server.Addr = ":8080" }, ""},
		{"addr on a free port", func(c *Config) { c.Server.Addr = "127.0.0.1:0" }, ""},
		{"trusted proxies", func(c *Config) { c.Server.TrustedProxies = []string{"10.0.0.1", "10.0.0.0/8", "::1"} }, ""},
		{"bad trusted proxy", func(c *Config) { c.Server.TrustedProxies = []string{"lb.local"} }, "config: server.trusted_proxies:"},
		{"zero shutdown timeout", func(c *Config) { c.Server.ShutdownTimeout = 0 }, "config: server.shutdown_timeout: must be greater than zero"},
		{"zero read timeout", func(c *Config) { c.Server.ReadTimeout = 0 }, "config: server.read_timeout: must be greater than zero"},
		{"negative read timeout", func(c *Config) { c.Server.ReadTimeout = -time.Second }, "config: server.read_timeout: must not be negative"},
		{"negative cache ttl", func(c *Config) { c.Cache.TTL = -time.Second }, "config: cache.ttl: must not be negative"},
		{"zero cache ttl", func(c *Config) { c.Cache.TTL = 0 }, ""},
		{"zero cache size", func(c *Config) { c.Cache.Size = 0 }, "config: cache.size: must be at least 1"},
		{"zero store timeout", func(c *Config) { c.Store.Timeout = 0 }, "config: store.timeout: must be greater than zero"},
		{"negative retention", func(c *Config) { c.Tokens.Retention = -1 }, "config: tokens.retention: must not be negative"},
		{"zero retention", func(c *Config) { c.Tokens.Retention = 0 }, ""},
		{"zero purge interval", func(c *Config) { c.Tokens.PurgeInterval = 0 }, "config: tokens.purge_interval: must be greater than zero"},
		{"zero last used flush", func(c *Config) { c.Tokens.LastUsedFlush = 0 }, "config: tokens.last_used_flush: must be greater than zero"},
		{"mongodb uri", func(c *Config) { c.Store.MongoDBURI = "mongodb://db:27017/?replicaSet=rs0" }, ""},
		{"mongodb srv uri", func(c *Config) { c.Store.MongoDBURI = "mongodb+srv://cluster.example.com" }, ""},
		{"other uri", func(c *Config) { c.Store.MongoDBURI = "postgres://db" }, "config: store.mongodb_uri: must start with mongodb://"},
		{"empty data dir", func(c *Config) { c.Store.DataDir = "" }, "config: store.data_dir: must not be empty"},
		{"no open tenant files", func(c *Config) { c.Store.MaxOpenTenants = 0 }, "config: store.max_open_tenants: must be at least 1"},
		{"database with dot", func(c *Config) { c.Store.Database = "latch.key" }, "config: store.database:"},
		{"empty database", func(c *Config) { c.Store.Database = "" }, "config: store.database:"},
		{"database of 38", func(c *Config) { c.Store.Database = strings.Repeat("a", 38) }, ""},
		{"database of 39", func(c *Config) { c.Store.Database = strings.Repeat("a", 39) }, "config: store.database:"},
		{"database like a tenant's", func(c *Config) { c.Store.Database = "lk_abc" }, "config: store.database:"},
		{"argon2 m=47104 t=1", func(c *Config) { c.Password.Memory, c.Password.Iterations = 47104, 1 }, ""},
		{"argon2 m=47103 t=1", func(c *Config) { c.Password.Memory, c.Password.Iterations = 47103, 1 }, "config: password.memory_kib:"},
		{"argon2 m=19455 t=2", func(c *Config) { c.Password.Memory = 19455 }, "config: password.memory_kib:"},
		{"argon2 m=12288 t=3", func(c *Config) { c.Password.Memory, c.Password.Iterations = 12288, 3 }, ""},
		{"argon2 m=12288 t=2", func(c *Config) { c.Password.Memory, c.Password.Iterations = 12288, 2 }, "config: password.memory_kib:"},
		{"argon2 m=9216 t=4", func(c *Config) { c.Password.Memory, c.Password.Iterations = 9216, 4 }, ""},
		{"argon2 m=9215 t=4", func(c *Config) { c.Password.Memory, c.Password.Iterations = 9215, 4 }, "config: password.memory_kib:"},
		{"argon2 m=7168 t=5", func(c *Config) { c.Password.Memory, c.Password.Iterations = 7168, 5 }, ""},
		{"argon2 m=7167 t=10", func(c *Config) { c.Password.Memory, c.Password.Iterations = 7167, 10 }, "config: password.memory_kib:"},
		{"argon2 t=0", func(c *Config) { c.Password.Iterations = 0 }, "config: password.iterations: must be at least 1"},
		{"argon2 p=0", func(c *Config) { c.Password.Parallelism = 0 }, "config: password.parallelism: must be at least 1"},
		{"max concurrent hashes", func(c *Config) { c.Password.MaxConcurrent = 4 }, ""},
		{"negative max concurrent", func(c *Config) { c.Password.MaxConcurrent = -1 }, "config: password.max_concurrent: must not be negative"},
		{"no queue", func(c *Config) { c.Password.MaxQueued = 0 }, ""},
		{"negative queue", func(c *Config) { c.Password.MaxQueued = -1 }, "config: password.max_queued: must not be negative"},
		{"tag keys", func(c *Config) { c.Tokens.TagKeys = []string{"2:" + key32, "1:" + key32} }, ""},
		{"tag key without id", func(c *Config) { c.Tokens.TagKeys = []string{key32} }, "config: tokens.tag_keys: item 1:"},
		{"short tag key", func(c *Config) { c.Tokens.TagKeys = []string{"1:" + key32[:20]} }, "config: tokens.tag_keys: item 1 (key id 1): the key is"},
		{"tag key id twice", func(c *Config) { c.Tokens.TagKeys = []string{"1:" + key32, "1:" + key32} }, "config: tokens.tag_keys: item 2: key id 1 is given twice"},
		{"log level", func(c *Config) { c.Log.Level = "debug" }, ""},
		{"bad log level", func(c *Config) { c.Log.Level = "INFO" }, "config: log.level:"},
		{"log format", func(c *Config) { c.Log.Format = "console" }, ""},
		{"bad log format", func(c *Config) { c.Log.Format = "text" }, "config: log.format:"},
		{"unbuffered access log", func(c *Config) { c.Log.AccessBuffer = 0 }, ""},
		{"largest access log buffer", func(c *Config) { c.Log.AccessBuffer = MaxAccessBuffer }, ""},
		{"negative access log buffer", func(c *Config) { c.Log.AccessBuffer = -1 }, "config: log.access_buffer: must be 0"},
		{"huge access log buffer", func(c *Config) { c.Log.AccessBuffer = MaxAccessBuffer + 1 }, "config: log.access_buffer: must be 0"},
		{"short webhook lease", func(c *Config) { c.Webhooks.Lease = time.Second }, ""},
		{"webhook lease under a second", func(c *Config) { c.Webhooks.Lease = time.Second - 1 }, "config: webhooks.lease: must be at least 1s"},
		{"otlp endpoint", func(c *Config) { c.Tracing.OTLPEndpoint = "https://collector.example:4318" }, ""},
		{"otlp endpoint without scheme", func(c *Config) { c.Tracing.OTLPEndpoint = "collector:4318" }, "config: tracing.otlp_endpoint:"},
		{"otlp endpoint of grpc", func(c *Config) { c.Tracing.OTLPEndpoint = "grpc://collector:4317" }, "config: tracing.otlp_endpoint:"},
		{"sample ratio 0", func(c *Config) { c.Tracing.SampleRatio = 0 }, ""},
		{"sample ratio over 1", func(c *Config) { c.Tracing.SampleRatio = 1.5 }, "config: tracing.sample_ratio:"},
		{"negative sample ratio", func(c *Config) { c.Tracing.SampleRatio = -0.1 }, "config: tracing.sample_ratio:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			checkErr(t, c.Validate(), tt.wantErr)
		})
	}
}

// key32 is the base64 of 32 bytes, a tag key.
const key32 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="

// Tag keys come from the environment like any list, and an error about
// them never quotes a key.
func TestTagKeys(t *testing.T) {
	c, err := Load("", []string{"LATCHKEY_TOKENS_TAG_KEYS=7:" + key32 + ",3:" + key32}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.Tokens.Keyring()
	if err != nil || k.Current() != 7 || len(k.IDs()) != 2 {
		t.Fatalf("got %v, %v; want current key 7 of two", k, err)
	}
	if k, err := Default().Tokens.Keyring(); k != nil || err != nil {
		t.Errorf("no keys: got %v, %v, want nil, nil", k, err)
	}
	for _, bad := range []string{"7:" + key32[:30], "x" + key32, "7:" + key32 + "!"} {
		_, err := Load("", []string{"LATCHKEY_TOKENS_TAG_KEYS=" + bad}, nil)
		if err == nil || strings.Contains(err.Error(), key32[:16]) {
			t.Errorf("%s: got %v, want an error that does not quote the key", bad, err)
		}
	}
}

func TestPasswordSlots(t *testing.T) {
	p := Default().Password
	if got, want := p.PasswordSlots(), max(runtime.GOMAXPROCS(0)-1, 1); got != want {
		t.Errorf("default: got %d, want every core but one (%d)", got, want)
	}
	p.MaxConcurrent = 3
	if got := p.PasswordSlots(); got != 3 {
		t.Errorf("got %d, want 3", got)
	}
}

func TestValidateHidesMongoDBURI(t *testing.T) {
	c := Default()
	c.Store.MongoDBURI = "mongo://admin:hunter2@db"
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Validate() = %v, want an error that does not quote the URI", err)
	}
}

// checkErr fails t unless err contains wantErr, or is nil when wantErr is "".
func checkErr(tb testing.TB, err error, wantErr string) {
	tb.Helper()
	switch {
	case wantErr == "" && err != nil:
		tb.Errorf("got error %v, want nil", err)
	case wantErr != "" && err == nil:
		tb.Errorf("got no error, want one containing %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		tb.Errorf("got error %q, want one containing %q", err, wantErr)
	}
}
