package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/latchkey/latchkey/store"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/store/sqlite"
	"github.com/latchkey/latchkey/tenants"
)

// scaleConfig is the configuration of `loadgen scale`.
type scaleConfig struct {
	tenants, tokens, samples int
	dataDir                  string
}

// runScale is `loadgen scale`: it fills a throwaway embedded store with
// -tenants tenants of -tokens user tokens each (through the tenant service,
// then the tokens in bulk: a login with argon2id per token would take
// hours), and at 1, 10, 100, … tenants measures verification latency in
// process, through the whole router (GET /api/v1/token), on a cache miss
// (a fresh cache: tenant, app token, user token and user read from the
// store) and on a hit. Flat figures as the store grows are the point.
func runScale(args []string, out io.Writer) error {
	var c scaleConfig
	fs := flag.NewFlagSet("loadgen scale", flag.ContinueOnError)
	fs.IntVar(&c.tenants, "tenants", 1000, "tenants to create")
	fs.IntVar(&c.tokens, "tokens", 1000, "user tokens per tenant")
	fs.IntVar(&c.samples, "samples", 300, "tokens verified at each checkpoint (each once missing, once hitting the cache)")
	fs.StringVar(&c.dataDir, "data-dir", "", "SQLite data directory (default: a temporary one, removed at the end)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.tenants < 1 || c.tenants > 100000 || c.tokens < 1 || c.tokens > 100000 || c.samples < 1 || c.samples > 100000 {
		return errors.New("-tenants, -tokens and -samples must be between 1 and 100000")
	}
	dir := c.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "latchkey-scale-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Options{DataDir: dir, Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer store.Close()
	keys := secret.NewRandomKeyring() // the population's and the measurement's
	// Population only: cheap password hashes, so making the owners is fast.
	a, err := admin.New(admin.Options{Store: store, Keys: keys, Logger: zap.NewNop(), CacheTTL: time.Hour, CacheSize: 100000,
		Password: secret.Argon2{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
	if err != nil {
		return err
	}
	defer a.Close()

	fmt.Fprintf(out, "loadgen scale: SQLite store, %d tokens per tenant, %d samples per checkpoint\n", c.tokens, c.samples)
	fmt.Fprintf(out, "%8s %10s %10s | %9s %9s %9s | %9s %9s %9s\n", "tenants", "tokens", "fill", "miss p50", "miss p90", "miss p99",
		"hit p50", "hit p90", "hit p99")
	var pop []populated
	start := time.Now()
	for _, checkpoint := range checkpoints(c.tenants) {
		for len(pop) < checkpoint {
			p, err := scaleTenant(ctx, a, len(pop), c.tokens)
			if err != nil {
				return fmt.Errorf("tenant %d: %w", len(pop)+1, err)
			}
			pop = append(pop, p)
		}
		miss, hit, err := measure(store, keys, pop, c.samples)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%8d %10d %10s | %9s %9s %9s | %9s %9s %9s\n", len(pop), len(pop)*c.tokens,
			time.Since(start).Round(time.Second), us(pct(miss, .5)), us(pct(miss, .9)), us(pct(miss, .99)),
			us(pct(hit, .5)), us(pct(hit, .9)), us(pct(hit, .99)))
	}
	return nil
}

// checkpoints returns 1, 10, 100, … up to and including n.
func checkpoints(n int) []int {
	var cp []int
	for i := 1; i < n; i *= 10 {
		cp = append(cp, i)
	}
	return append(cp, n)
}

// populated is one tenant made by scaleTenant, with its app token and a few
// of its user tokens' secrets to verify.
type populated struct {
	tenantID string
	appToken string
	tokens   []string
}

// keep is how many token secrets of each tenant are kept for sampling.
const keep = 20

// scaleTenant creates tenant number i through the tenant service (its
// database, indexes, owner and app token) and then n user tokens of its
// owner in bulk.
func scaleTenant(ctx context.Context, a *admin.App, i, n int) (populated, error) {
	t, prov, err := a.Tenants.Create(ctx, tenants.NewTenant{Slug: fmt.Sprintf("scale-%06d", i), Name: "scale"},
		tenants.Owner{Username: "owner", Password: "owner-password", Email: "owner@example.test"})
	if err != nil {
		return populated{}, err
	}
	p := populated{tenantID: t.ID, appToken: prov.AppToken}
	owner, err := ids.Parse(prov.AdminID)
	if err != nil {
		return populated{}, err
	}
	secrets, err := insertTokens(ctx, a.Store.UserTokens(), a.Auth.Keys, t.ID, n, func(int) ids.ID { return owner })
	if err != nil {
		return populated{}, err
	}
	for _, j := range rand.Perm(n)[:min(keep, n)] {
		p.tokens = append(p.tokens, secrets[j])
	}
	return p, nil
}

// measure verifies samples random tokens of pop through the router of a
// new App, first each as a miss (its tenant's cache entries dropped just
// before, so the App-Token and the user token both go to the store), then
// each as a hit (after an unmeasured pass that fills the cache), and
// returns the latencies of both.
func measure(store store.Store, keys *secret.Keyring, pop []populated, samples int) (miss, hit []time.Duration, err error) {
	a, err := admin.New(admin.Options{Store: store, Keys: keys, Logger: zap.NewNop(), CacheTTL: time.Hour, CacheSize: 100000,
		Password: secret.DefaultArgon2})
	if err != nil {
		return nil, nil, err
	}
	defer a.Close()
	reqs := make([]*http.Request, samples)
	owner := make([]string, samples) // tenant of each request
	for i := range reqs {
		p := pop[rand.IntN(len(pop))]
		owner[i] = p.tenantID
		r := httptest.NewRequest(http.MethodGet, "/api/v1/token", nil)
		r.Header.Set(authn.AppTokenHeader, p.appToken)
		r.Header.Set(authn.TokenHeader, p.tokens[rand.IntN(len(p.tokens))])
		reqs[i] = r
	}
	timeAll := func(cold bool) ([]time.Duration, error) {
		lat := make([]time.Duration, 0, len(reqs))
		for i, r := range reqs {
			if cold {
				a.Cache.Invalidate(owner[i])
			}
			w := httptest.NewRecorder()
			t0 := time.Now()
			a.Handler.ServeHTTP(w, r)
			lat = append(lat, time.Since(t0))
			if w.Code != http.StatusOK {
				return nil, fmt.Errorf("GET /api/v1/token: got %d: %s", w.Code, w.Body)
			}
		}
		return lat, nil
	}
	if miss, err = timeAll(true); err != nil {
		return nil, nil, err
	}
	if _, err = timeAll(false); err != nil { // fills the cache
		return nil, nil, err
	}
	if hit, err = timeAll(false); err != nil {
		return nil, nil, err
	}
	return miss, hit, nil
}
