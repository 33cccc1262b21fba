package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/latchkey/latchkey/store"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/store/sqlite"
	"github.com/latchkey/latchkey/tenants"
)

// fixture is what `loadgen populate` made, written as JSON for `loadgen
// measure` (and the ratio run's -fixture): every tenant with its app
// token, its owner and samples of its users and token secrets. Every user
// of every tenant, owners included, has the password Password.
type fixture struct {
	Password string          `json:"password"`
	Tenants  []fixtureTenant `json:"tenants"`
}

// fixtureTenant is one populated tenant.
type fixtureTenant struct {
	// Name is the tenant's part in the measurements: "big", "small",
	// "w0" … "w9" (the tenants of the write runs) or "m0", "m1", … (the
	// many tenants of one token each).
	Name     string `json:"name"`
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	AppToken string `json:"app_token"`
	Owner    string `json:"owner"`
	OwnerID  string `json:"owner_id"`
	// Users, Tokens and Audit count what was inserted (the owner, its app
	// token and the records of the tenant's creation come on top).
	Users  int `json:"users"`
	Tokens int `json:"tokens"`
	Audit  int `json:"audit"`
	// OwnerTokens of the tokens belong to the owner (a full page of
	// GET /tokens/?user={owner}); the others are spread over the users.
	OwnerTokens int `json:"owner_tokens"`
	// Usernames and UserIDs are a random sample of the users (same order);
	// TokenSecrets a random sample of the token strings.
	Usernames    []string `json:"usernames"`
	UserIDs      []string `json:"user_ids"`
	TokenSecrets []string `json:"token_secrets"`
	// AuditMiddle is the id of the middle audit record (a cursor deep in
	// the log).
	AuditMiddle string `json:"audit_middle,omitempty"`
}

// tenant returns the populated tenant named name.
func (f *fixture) tenant(name string) (*fixtureTenant, error) {
	for i := range f.Tenants {
		if f.Tenants[i].Name == name {
			return &f.Tenants[i], nil
		}
	}
	return nil, fmt.Errorf("the fixture has no tenant %q", name)
}

// writeTenants returns the tenants of the write runs, w0 … w9.
func (f *fixture) writeTenants() []*fixtureTenant { return f.named('w') }

// manyTenants returns the many tenants of one token each, m0, m1, ….
func (f *fixture) manyTenants() []*fixtureTenant { return f.named('m') }

// named returns the tenants whose name is letter and a number.
func (f *fixture) named(letter byte) []*fixtureTenant {
	var out []*fixtureTenant
	for i := range f.Tenants {
		if n := f.Tenants[i].Name; len(n) > 1 && n[0] == letter && n[1] >= '0' && n[1] <= '9' {
			out = append(out, &f.Tenants[i])
		}
	}
	return out
}

func readFixture(path string) (*fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	return &f, nil
}

// populateConfig is the configuration of `loadgen populate`.
type populateConfig struct {
	dataDir, out, prefix string
	// big and small are the two tenants the read measurements compare.
	bigUsers, bigTokens, bigAudit int
	smallUsers, smallTokens       int
	// writeTenants tenants of writeUsers users each for the write runs.
	writeTenants, writeUsers int
	// manyTenants tenants of one token each, for the pool of open files.
	manyTenants int
	sample      int
	argon2      secret.Argon2
	// tagKeys are the serve's tokens.tag_keys when it is configured with
	// them; nil: the installation's keys kept in the store, as serve uses.
	tagKeys *secret.Keyring
}

func parsePopulate(args []string) (populateConfig, error) {
	c := populateConfig{argon2: secret.DefaultArgon2}
	fs := flag.NewFlagSet("loadgen populate", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data-dir", "", "SQLite data directory to write into (store.data_dir of the serve to measure)")
	fs.StringVar(&c.out, "out", "", "file to write the fixture (JSON: app tokens, usernames, token secrets) to")
	fs.StringVar(&c.prefix, "prefix", "bench", "start of the tenants' slugs")
	fs.IntVar(&c.bigUsers, "users", 100000, "users of the big tenant (besides its owner)")
	fs.IntVar(&c.bigTokens, "tokens", 100000, "user tokens of the big tenant")
	fs.IntVar(&c.bigAudit, "audit", 1000000, "audit records of the big tenant, spread over the last 30 days")
	fs.IntVar(&c.smallUsers, "small-users", 99, "users of the small tenant (besides its owner)")
	fs.IntVar(&c.smallTokens, "small-tokens", 1000, "user tokens of the small tenant")
	fs.IntVar(&c.writeTenants, "write-tenants", 10, "tenants for the write runs")
	fs.IntVar(&c.writeUsers, "write-users", 20, "users of each write tenant (besides its owner)")
	fs.IntVar(&c.manyTenants, "many-tenants", 0, "further tenants of one user token each (open files: `loadgen measure -parts tenants`)")
	fs.IntVar(&c.sample, "sample", 1000, "usernames and token secrets of each tenant kept in the fixture")
	tagKeys := fs.String("tag-keys", "", "the serve's tokens.tag_keys if it has them, as in LATCHKEY_TOKENS_TAG_KEYS (\"1:<key in base64>,…\"); default: the keys kept in the store")
	mem := fs.Uint("argon2-memory", uint(c.argon2.MemoryKiB), "argon2id memory (KiB) of the users' password hash: password.memory_kib of the serve")
	iter := fs.Uint("argon2-iterations", uint(c.argon2.Iterations), "argon2id iterations: password.iterations")
	par := fs.Uint("argon2-parallelism", uint(c.argon2.Parallelism), "argon2id parallelism: password.parallelism")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *mem < 8 || *mem > 4<<20 || *iter < 1 || *iter > 100 || *par < 1 || *par > 255 {
		return c, errors.New("bad argon2id parameters")
	}
	c.argon2 = secret.Argon2{MemoryKiB: uint32(*mem), Iterations: uint32(*iter), Parallelism: uint8(*par)}
	switch {
	case c.dataDir == "" || c.out == "":
		return c, errors.New("-data-dir and -out are required")
	case c.bigUsers < 1 || c.smallUsers < 1 || c.writeUsers < 1:
		return c, errors.New("-users, -small-users and -write-users must be at least 1")
	case c.bigTokens < 1 || c.smallTokens < 1 || c.bigAudit < 0 || c.writeTenants < 1 || c.sample < 1 || c.manyTenants < 0:
		return c, errors.New("-tokens, -small-tokens, -write-tenants and -sample must be at least 1, -audit and -many-tenants at least 0")
	}
	if *tagKeys != "" {
		k, err := secret.ParseKeys(strings.Split(*tagKeys, ","))
		if err != nil {
			return c, fmt.Errorf("-tag-keys: %w", err)
		}
		c.tagKeys = k
	}
	return c, nil
}

// runPopulate is `loadgen populate`: it opens the SQLite engine on
// -data-dir (a serve may run on it meanwhile) and fills it.
func runPopulate(args []string, out io.Writer) error {
	c, err := parsePopulate(args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Options{DataDir: c.dataDir, Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer store.Close()
	// Token strings are tagged with the keys serve will use, as serve loads
	// them (the installation's keys in the store, made here if the store is
	// new).
	if c.tagKeys == nil {
		if c.tagKeys, err = secret.LoadKeyring(ctx, store.Keys(), time.Now()); err != nil {
			return fmt.Errorf("load the token tag keys: %w", err)
		}
	}
	f, err := populate(ctx, store, c, out)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	// The fixture holds working credentials of the populated tenants.
	return os.WriteFile(c.out, b, 0o600)
}

// populate makes the tenants of c in store: each through the tenant
// service (its database, owner and app token), then its users, tokens and
// audit records straight through the store interfaces. It reports each
// step's rate of inserts, one record per statement, to out.
func populate(ctx context.Context, store store.Store, c populateConfig, out io.Writer) (*fixture, error) {
	a, err := admin.New(admin.Options{Store: store, Keys: c.tagKeys, Logger: zap.NewNop(), CacheTTL: time.Second, CacheSize: 100,
		Password: c.argon2})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	f := &fixture{Password: secret.NewPassword()}
	// One hash for every user: the server checks it at its full cost, and
	// making it once saves an argon2id run per user.
	phc := c.argon2.HashPassword(f.Password)

	make1 := func(name string, nUsers, nTokens, nAudit int) error {
		t0 := time.Now()
		ft, owner, err := newTenant(ctx, a, c.prefix, name, f.Password)
		if err != nil {
			return err
		}
		ft.Users, ft.Tokens, ft.Audit = nUsers, nTokens, nAudit
		step := func(what string, n int, start time.Time) {
			d := time.Since(start)
			fmt.Fprintf(out, "  %-6s %9d %-14s in %7s  (%.0f inserts/s)\n", name, n, what, d.Round(time.Millisecond), float64(n)/d.Seconds())
		}

		start := time.Now()
		uids, err := insertUsers(ctx, store.Users(), ft.ID, nUsers, phc)
		if err != nil {
			return err
		}
		step("users", nUsers, start)
		for _, i := range rand.Perm(nUsers)[:min(c.sample, nUsers)] {
			ft.Usernames = append(ft.Usernames, userName(i))
			ft.UserIDs = append(ft.UserIDs, uids[i].Hex())
		}

		if nTokens > 0 {
			ft.OwnerTokens = min(nTokens/10, 1000)
			start = time.Now()
			secrets, err := insertTokens(ctx, store.UserTokens(), c.tagKeys, ft.ID, nTokens, func(i int) ids.ID {
				if i < ft.OwnerTokens {
					return owner
				}
				return uids[i%len(uids)]
			})
			if err != nil {
				return err
			}
			step("user tokens", nTokens, start)
			for _, i := range rand.Perm(nTokens)[:min(c.sample, nTokens)] {
				ft.TokenSecrets = append(ft.TokenSecrets, secrets[i])
			}
		}

		if nAudit > 0 {
			start = time.Now()
			mid, err := insertAudit(ctx, store.Audit(), ft.ID, nAudit, 30*24*time.Hour, uids)
			if err != nil {
				return err
			}
			step("audit records", nAudit, start)
			ft.AuditMiddle = mid.Hex()
		}
		fmt.Fprintf(out, "  %-6s tenant %s (%s) done in %s\n", name, ft.Slug, ft.ID, time.Since(t0).Round(time.Second))
		f.Tenants = append(f.Tenants, ft)
		return nil
	}

	fmt.Fprintf(out, "loadgen populate: %s engine; every user's password hash is argon2id m=%d KiB t=%d p=%d\n",
		store.Engine(), c.argon2.MemoryKiB, c.argon2.Iterations, c.argon2.Parallelism)
	if err := make1("small", c.smallUsers, c.smallTokens, 0); err != nil {
		return nil, err
	}
	if err := make1("big", c.bigUsers, c.bigTokens, c.bigAudit); err != nil {
		return nil, err
	}
	for i := range c.writeTenants {
		if err := make1(fmt.Sprintf("w%d", i), c.writeUsers, 0, 0); err != nil {
			return nil, err
		}
	}
	if c.manyTenants > 0 {
		if err := populateMany(ctx, store, c, f, out); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// populateMany makes c.manyTenants tenants of one user token each (their
// owner's). Their owners never log in, so their password hashes are made
// cheap.
func populateMany(ctx context.Context, store store.Store, c populateConfig, f *fixture, out io.Writer) error {
	a, err := admin.New(admin.Options{Store: store, Keys: c.tagKeys, Logger: zap.NewNop(), CacheTTL: time.Second, CacheSize: 100,
		Password: secret.Argon2{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	for i := range c.manyTenants {
		ft, owner, err := newTenant(ctx, a, c.prefix, fmt.Sprintf("m%d", i), f.Password)
		if err != nil {
			return err
		}
		if ft.TokenSecrets, err = insertTokens(ctx, store.UserTokens(), c.tagKeys, ft.ID, 1, func(int) ids.ID { return owner }); err != nil {
			return err
		}
		ft.Tokens = 1
		f.Tenants = append(f.Tenants, ft)
	}
	d := time.Since(start)
	fmt.Fprintf(out, "  %d tenants of one token each in %s (%.0f tenants/s)\n", c.manyTenants, d.Round(time.Millisecond),
		float64(c.manyTenants)/d.Seconds())
	return nil
}

// newTenant creates tenant prefix-name through the tenant service (its
// file, its owner "owner" with password, its app token) and returns its
// fixture entry and its owner's id.
func newTenant(ctx context.Context, a *admin.App, prefix, name, password string) (fixtureTenant, ids.ID, error) {
	t, prov, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: prefix + "-" + name, Name: "loadgen " + name},
		tenants.Owner{Username: "owner", Password: password, Email: "owner@example.test"})
	if err != nil {
		return fixtureTenant{}, ids.ID{}, fmt.Errorf("tenant %s: %w", name, err)
	}
	owner, err := ids.Parse(prov.AdminID)
	if err != nil {
		return fixtureTenant{}, ids.ID{}, err
	}
	return fixtureTenant{Name: name, ID: t.ID, Slug: t.Slug, AppToken: prov.AppToken, Owner: prov.AdminUsername,
		OwnerID: prov.AdminID}, owner, nil
}
