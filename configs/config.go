// Package configs holds Latchkey's configuration: the Config struct, its
// defaults, and Load, which layers a YAML file, environment variables and
// command-line flags over those defaults. Only cmd/latchkey imports it.
package configs

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/latchkey/latchkey/internal/secret"
)

// Config is Latchkey's whole configuration. Every key is named by its yaml
// tags ("cache.ttl"); latchkey.yaml in this directory lists every key with its
// default. Start from Default or Load, not from the zero value.
type Config struct {
	Server   Server   `yaml:"server"`
	Store    Store    `yaml:"store"`
	Cache    Cache    `yaml:"cache"`
	Tokens   Tokens   `yaml:"tokens"`
	Password Password `yaml:"password"`
	Log      Log      `yaml:"log"`
	Leaks    Leaks    `yaml:"leaks"`
	Tracing  Tracing  `yaml:"tracing"`
	Webhooks Webhooks `yaml:"webhooks"`
}

// Server configures the HTTP server.
type Server struct {
	Addr            string        `yaml:"addr"`             // host:port to listen on; default "127.0.0.1:8080"
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // time in-flight requests get on shutdown; default 15s
	ReadTimeout     time.Duration `yaml:"read_timeout"`     // limit on reading one whole request, headers and body (slow clients); default 10s
	TrustedProxies  []string      `yaml:"trusted_proxies"`  // IPs or CIDRs whose X-Forwarded-For is believed; default none (client IP = remote addr)
}

// Store configures the store: SQLite files (the embedded default) or a
// MongoDB deployment.
type Store struct {
	MongoDBURI     string        `yaml:"mongodb_uri"`      // default "": keep everything in SQLite files under data_dir
	DataDir        string        `yaml:"data_dir"`         // the SQLite files' directory; default "./data"
	MaxOpenTenants int           `yaml:"max_open_tenants"` // SQLite: tenant files kept open at once; default 256
	Database       string        `yaml:"database"`         // MongoDB: control database name; default "latchkey" (tenant databases are lk_<id>)
	Timeout        time.Duration `yaml:"timeout"`          // limit on one store operation (SQLite: also how long a write waits for the file's lock); default 5s
}

// Cache configures the token verification cache.
type Cache struct {
	TTL  time.Duration `yaml:"ttl"`  // default 2s; 0 disables the cache
	Size int           `yaml:"size"` // maximum entries; default 100000
}

// Tokens configures housekeeping of stored tokens.
type Tokens struct {
	Retention     time.Duration `yaml:"retention"`       // expired records are purged after this; default 720h (30 days)
	PurgeInterval time.Duration `yaml:"purge_interval"`  // how often the purge runs; default 1h
	LastUsedFlush time.Duration `yaml:"last_used_flush"` // last_used is written at most once per token per this; default 1m
	// TagKeys are the keys of the tag every token string carries,
	// each "<id>:<base64 of at least 32 bytes>", the first the current one;
	// default none. Secret: never logged or quoted in an error.
	TagKeys []string `yaml:"tag_keys"`
}

// Password configures argon2id password hashing. Validate enforces at least
// OWASP's minimums. MaxConcurrent and MaxQueued bound the memory hashing
// takes.
type Password struct {
	Memory      uint32 `yaml:"memory_kib"`  // memory in KiB; default 19456 (19 MiB)
	Iterations  uint32 `yaml:"iterations"`  // default 2
	Parallelism uint8  `yaml:"parallelism"` // default 1
	// MaxConcurrent bounds the password hashes running at once (each holds
	// memory_kib); 0, the default, is every core but one (at least one).
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxQueued is how many more logins may wait for a hash; beyond it they
	// are answered 503 with Retry-After. Default 32.
	MaxQueued int `yaml:"max_queued"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error; default info
	Format string `yaml:"format"` // json or console; default json
	// AccessBuffer is the size in bytes of the buffer the access log (one
	// line per request) is written through: the lines go out when it is
	// full, at least every second, and at shutdown, so a request costs no
	// write of its own. A crash (a kill, not a clean stop) loses the lines
	// of up to the last second, at most this many bytes. 0 writes each
	// line at once. Default 65536.
	AccessBuffer int `yaml:"access_buffer"`
}

// MaxAccessBuffer bounds log.access_buffer: 16 MiB.
const MaxAccessBuffer = 16 << 20

// Leaks configures the public keys that signed leak reports
// (POST /api/v1/leaks) are checked against; with none, only platform owners
// can report leaked tokens.
type Leaks struct {
	PublicKeys     []string `yaml:"public_keys"`      // "<key identifier>:<ECDSA P-256 public key, PEM or base64 DER>" entries; default none
	PublicKeysFile string   `yaml:"public_keys_file"` // a JSON file in the shape of GitHub's published secret scanning keys; default ""
}

// Webhooks configures the delivery of webhooks.
type Webhooks struct {
	AllowHosts []string      `yaml:"allow_hosts"` // hosts reached over plain http and at any address (loopback, private); default none
	Interval   time.Duration `yaml:"interval"`    // how often due deliveries are sent; default 5s
	// Lease is how long an instance holds a delivery attempt it claimed:
	// no other instance sends it meanwhile, and another sends it once the
	// lease has ended without an outcome (its holder crashed). The attempt
	// is cut off when its lease ends, so a lease under the 10 s timeout
	// shortens the timeout too. At least 1s; default 1m.
	Lease time.Duration `yaml:"lease"`
}

// Tracing configures OpenTelemetry tracing.
type Tracing struct {
	OTLPEndpoint string  `yaml:"otlp_endpoint"` // OTLP/HTTP collector URL, e.g. http://otel-collector:4318; default "": no export
	SampleRatio  float64 `yaml:"sample_ratio"`  // share of new traces recorded, 0 to 1; default 1
}

// Default returns the configuration used for every key that is not set.
// configs/latchkey.yaml lists the same values; a test keeps the two equal.
func Default() Config {
	return Config{
		Server:   Server{Addr: "127.0.0.1:8080", ShutdownTimeout: 15 * time.Second, ReadTimeout: 10 * time.Second},
		Store:    Store{DataDir: "./data", MaxOpenTenants: 256, Database: "latchkey", Timeout: 5 * time.Second},
		Cache:    Cache{TTL: 2 * time.Second, Size: 100000},
		Tokens:   Tokens{Retention: 720 * time.Hour, PurgeInterval: time.Hour, LastUsedFlush: time.Minute},
		Password: Password{Memory: 19456, Iterations: 2, Parallelism: 1, MaxQueued: 32},
		Log:      Log{Level: "info", Format: "json", AccessBuffer: 64 << 10},
		Tracing:  Tracing{SampleRatio: 1},
		Webhooks: Webhooks{Interval: 5 * time.Second, Lease: time.Minute},
	}
}

// Load builds the configuration: Default(), then the YAML file at path (if
// path != ""), then the environment variables in env ("K=V" strings as from
// os.Environ; LATCHKEY_<SECTION>_<KEY>, e.g. LATCHKEY_CACHE_TTL), then flags
// (dotted key to value, e.g. {"server.addr": ":9000"}), each overriding the
// one before, and finally Validate. An unknown key in the file or in flags,
// or an unknown LATCHKEY_ variable other than LATCHKEY_ADMIN_PASSWORD, is an
// error, as is a value that does not parse; every error names the key.
func Load(path string, env []string, flags map[string]string) (Config, error) {
	c := Default()
	fields := fieldsOf(&c)
	if path != "" {
		if err := loadFile(path, fields); err != nil {
			return Config{}, err
		}
	}
	if err := loadEnv(env, fields); err != nil {
		return Config{}, err
	}
	for _, key := range slices.Sorted(maps.Keys(flags)) {
		f, ok := fields[key]
		if !ok || f.Kind() == reflect.Struct {
			return Config{}, fmt.Errorf("config: %s: unknown key (flag)", key)
		}
		if err := set(f, flags[key]); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w (flag)", key, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// fieldsOf maps every dotted key ("cache.ttl") and section ("cache") to the
// field of c that it names. Keys come from the yaml tags, so a new field
// needs no code here.
func fieldsOf(c *Config) map[string]reflect.Value {
	fields := map[string]reflect.Value{}
	var add func(prefix string, v reflect.Value)
	add = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			key := prefix + v.Type().Field(i).Tag.Get("yaml")
			if fields[key] = v.Field(i); v.Field(i).Kind() == reflect.Struct {
				add(key+".", v.Field(i))
			}
		}
	}
	add("", reflect.ValueOf(c).Elem())
	return fields
}

// envName is the environment variable that sets key: cache.ttl is
// LATCHKEY_CACHE_TTL.
func envName(key string) string {
	return "LATCHKEY_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// ignoredEnv holds the LATCHKEY_ variables that are read elsewhere and so
// are not configuration typos: the bootstrap password, the new password of
// latchkey user reset-password, the admin command
// line's (cmd/latchkey/cli; a shell that uses it may also run serve), and the
// switches of the test suite (CI sets them in the same environment the
// server reads).
var ignoredEnv = map[string]bool{
	"LATCHKEY_ADMIN_PASSWORD":   true,
	"LATCHKEY_NEW_PASSWORD":     true,
	"LATCHKEY_URL":              true,
	"LATCHKEY_APP_TOKEN":        true,
	"LATCHKEY_TOKEN":            true,
	"LATCHKEY_USERNAME":         true,
	"LATCHKEY_PASSWORD":         true,
	"LATCHKEY_CREDENTIALS":      true,
	"LATCHKEY_REQUIRE_CHROMIUM": true,
	"LATCHKEY_REQUIRE_GITLEAKS": true,
	"LATCHKEY_SCREENSHOT_DIR":   true,
	"LATCHKEY_LOAD_DURATION":    true,
}

func loadEnv(env []string, fields map[string]reflect.Value) error {
	keys := map[string]string{}
	for key, f := range fields {
		if f.Kind() != reflect.Struct {
			keys[envName(key)] = key
		}
	}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "LATCHKEY_") || ignoredEnv[name] {
			continue
		}
		key, ok := keys[name]
		if !ok {
			return fmt.Errorf("config: %s: environment variable matches no configuration key", name)
		}
		if err := set(fields[key], value); err != nil {
			return fmt.Errorf("config: %s: %w (%s)", key, err, name)
		}
	}
	return nil
}

func loadFile(path string, fields map[string]reflect.Value) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	if len(file.Docs) > 1 {
		return fmt.Errorf("config: %s: more than one YAML document", path)
	}
	for _, doc := range file.Docs {
		switch body := doc.Body.(type) {
		case nil, *ast.NullNode: // an empty file
		case *ast.MappingNode:
			if err := walk(body, "", fields, path); err != nil {
				return err
			}
		default:
			return fmt.Errorf("config: %s: must be a mapping of sections, not %s", path, body.Type())
		}
	}
	return nil
}

// walk sets the fields named by the keys of m, descending into sections;
// prefix is "" or a section followed by ".". A key that names no field is
// an error.
func walk(m *ast.MappingNode, prefix string, fields map[string]reflect.Value, path string) error {
	for _, e := range m.Values {
		key := prefix + e.Key.GetToken().Value
		f, ok := fields[key]
		var err error
		switch sub, isMapping := e.Value.(*ast.MappingNode); {
		case !ok:
			err = errors.New("unknown key")
		case f.Kind() != reflect.Struct:
			err = setNode(f, e.Value)
		case isMapping:
			if err := walk(sub, key+".", fields, path); err != nil {
				return err
			}
		case e.Value != nil && e.Value.Type() != ast.NullType: // an empty section is fine
			err = fmt.Errorf("must be a mapping of keys, not %s", e.Value.Type())
		}
		if err != nil {
			return fmt.Errorf("config: %s: %w (%s:%d)", key, err, path, e.Key.GetToken().Position.Line)
		}
	}
	return nil
}

// setNode sets v from a YAML value: a scalar or, for a list field, a
// sequence of scalars, which is set like the comma-separated text of env.
func setNode(v reflect.Value, n ast.Node) error {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		s, err := scalar(n)
		if err != nil {
			return err
		}
		return set(v, s)
	}
	if v.Kind() != reflect.Slice {
		return errors.New("must be a single value, not a list")
	}
	items := make([]string, len(seq.Values))
	for i, item := range seq.Values {
		var err error
		if items[i], err = scalar(item); err != nil {
			return err
		}
	}
	return set(v, strings.Join(items, ","))
}

// scalar returns the text of a scalar node; a null is "".
func scalar(n ast.Node) (string, error) {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "", nil
	case *ast.StringNode:
		return n.Value, nil
	case *ast.AliasNode: // its GetValue is the alias's name, not the value
		return "", errors.New("YAML aliases are not supported")
	case ast.ScalarNode:
		return fmt.Sprint(n.GetValue()), nil
	}
	return "", fmt.Errorf("must be a single value, not %s", n.Type())
}

// set parses text by the type of v. A list takes comma-separated items,
// each parsed by the element type; no items leave it nil.
func set(v reflect.Value, text string) error {
	if v.Kind() != reflect.Slice {
		return parse(v, text)
	}
	var items []string
	for item := range strings.SplitSeq(text, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	v.SetZero()
	if len(items) == 0 {
		return nil
	}
	list := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if err := parse(list.Index(i), item); err != nil {
			return err
		}
	}
	v.Set(list)
	return nil
}

func parse(v reflect.Value, s string) error {
	var err error
	switch {
	case v.Type() == reflect.TypeFor[time.Duration]():
		var d time.Duration
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not a duration such as \"2s\" or \"1h30m\"", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		var b bool
		if b, err = strconv.ParseBool(s); err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case v.CanInt():
		var n int64
		if n, err = strconv.ParseInt(s, 10, v.Type().Bits()); err == nil {
			v.SetInt(n)
		}
	case v.CanUint():
		var n uint64
		if n, err = strconv.ParseUint(s, 10, v.Type().Bits()); err == nil {
			v.SetUint(n)
		}
	case v.CanFloat():
		var f float64
		if f, err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s is out of range for %s", s, v.Type())
	}
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	return nil
}

type argon2Minimum struct{ memory, iterations uint32 }

// argon2Minimums are OWASP's argon2id minimums: memory in KiB for a number
// of iterations (parallelism 1).
var argon2Minimums = []argon2Minimum{
	{47104, 1}, {19456, 2}, {12288, 3}, {9216, 4}, {7168, 5},
}

var databaseName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,38}$`)

// Validate reports the first bad value, naming its key, as in
// "config: cache.ttl: must not be negative".
func (c Config) Validate() error {
	if err := checkAddr(c.Server.Addr); err != nil {
		return invalid("server.addr", "%v", err)
	}
	for _, p := range c.Server.TrustedProxies {
		if _, err := netip.ParseAddr(p); err != nil {
			if _, err := netip.ParsePrefix(p); err != nil {
				return invalid("server.trusted_proxies", "%q is not an IP address or CIDR range", p)
			}
		}
	}
	fields := fieldsOf(&c)
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		if v := fields[key]; v.Type() == reflect.TypeFor[time.Duration]() && v.Int() < 0 {
			return invalid(key, "must not be negative")
		}
	}
	for _, key := range []string{"server.shutdown_timeout", "server.read_timeout", "store.timeout", "tokens.purge_interval", "tokens.last_used_flush"} {
		if fields[key].Int() == 0 {
			return invalid(key, "must be greater than zero")
		}
	}
	s := c.Store
	switch {
	case s.MongoDBURI != "" && !strings.HasPrefix(s.MongoDBURI, "mongodb://") && !strings.HasPrefix(s.MongoDBURI, "mongodb+srv://"):
		// The URI is not quoted back: it may hold a password.
		return invalid("store.mongodb_uri", "must start with mongodb:// or mongodb+srv://")
	case s.DataDir == "":
		return invalid("store.data_dir", "must not be empty")
	case !databaseName.MatchString(s.Database):
		return invalid("store.database", "%q must be 1 to 38 letters, digits, _ or -", s.Database)
	case strings.HasPrefix(s.Database, "lk_"):
		return invalid("store.database", "%q must not start with lk_, which names tenant databases", s.Database)
	}
	if s.MaxOpenTenants < 1 {
		return invalid("store.max_open_tenants", "must be at least 1")
	}
	if c.Cache.Size < 1 {
		return invalid("cache.size", "must be at least 1")
	}
	p := c.Password
	if p.Iterations < 1 {
		return invalid("password.iterations", "must be at least 1")
	}
	if !slices.ContainsFunc(argon2Minimums, func(m argon2Minimum) bool {
		return p.Memory >= m.memory && p.Iterations >= m.iterations
	}) {
		return invalid("password.memory_kib", "%d KiB with %d iterations is below OWASP's argon2id minimum "+
			"(47104 KiB with 1 iteration, 19456 with 2, 12288 with 3, 9216 with 4 or 7168 with 5)", p.Memory, p.Iterations)
	}
	if p.Parallelism < 1 {
		return invalid("password.parallelism", "must be at least 1")
	}
	if p.MaxConcurrent < 0 {
		return invalid("password.max_concurrent", "must not be negative (0 is every core but one)")
	}
	if p.MaxQueued < 0 {
		return invalid("password.max_queued", "must not be negative")
	}
	if len(c.Tokens.TagKeys) > 0 {
		if _, err := secret.ParseKeys(c.Tokens.TagKeys); err != nil {
			return invalid("tokens.tag_keys", "%v", err) // ParseKeys never quotes a key
		}
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return invalid("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if !slices.Contains([]string{"json", "console"}, c.Log.Format) {
		return invalid("log.format", "%q must be json or console", c.Log.Format)
	}
	if c.Log.AccessBuffer < 0 || c.Log.AccessBuffer > MaxAccessBuffer {
		return invalid("log.access_buffer", "must be 0 (unbuffered) to %d bytes", MaxAccessBuffer)
	}
	if c.Webhooks.Lease < time.Second {
		return invalid("webhooks.lease", "must be at least 1s")
	}
	return c.Tracing.validate()
}

func (t Tracing) validate() error {
	if t.OTLPEndpoint != "" {
		u, err := url.Parse(t.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("tracing.otlp_endpoint", "must be an http:// or https:// URL such as http://otel-collector:4318")
		}
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		return invalid("tracing.sample_ratio", "%v must be from 0 to 1", t.SampleRatio)
	}
	return nil
}

// checkAddr reports whether addr is host:port with a numeric port; the host
// may be empty (all interfaces) and port 0 picks a free port.
func checkAddr(addr string) error {
	if addr == "" {
		return errors.New("must not be empty")
	}
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

func invalid(key, format string, args ...any) error {
	return fmt.Errorf("config: %s: "+format, append([]any{key}, args...)...)
}

// PasswordSlots returns password.max_concurrent, with 0 taken as every
// core but one.
func (p Password) PasswordSlots() int {
	if p.MaxConcurrent == 0 {
		return secret.DefaultConcurrency()
	}
	return p.MaxConcurrent
}

// Keyring returns the keyring of tokens.tag_keys, or nil when none is set.
func (t Tokens) Keyring() (*secret.Keyring, error) {
	if len(t.TagKeys) == 0 {
		return nil, nil
	}
	k, err := secret.ParseKeys(t.TagKeys)
	if err != nil {
		return nil, invalid("tokens.tag_keys", "%v", err)
	}
	return k, nil
}
