package admin

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin/apidoc"
	"github.com/latchkey/latchkey/admin/console"
	"github.com/latchkey/latchkey/admin/jobs"
	"github.com/latchkey/latchkey/admin/verification"
	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/internal/tracing"
	"github.com/latchkey/latchkey/leaks"
	"github.com/latchkey/latchkey/scopes"
	"github.com/latchkey/latchkey/store"
	"github.com/latchkey/latchkey/store/observed"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usage"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
	"github.com/latchkey/latchkey/webhooks"
)

// Options configure an App.
type Options struct {
	Store  store.Store
	Logger *zap.Logger
	// AccessLog writes the access log, a line per request (it may be
	// buffered: log.access_buffer); nil writes it to Logger.
	AccessLog *zap.Logger
	CacheTTL  time.Duration
	CacheSize int
	Password  secret.Argon2
	// Hashes bounds the password hashes running at once
	// (password.max_concurrent); nil sets no bound.
	Hashes         *secret.Limiter
	TrustedProxies []string
	// LastUsedFlush is how often last_used is written
	// (tokens.last_used_flush); 0 means one minute.
	LastUsedFlush time.Duration
	// PurgeInterval is how often records expired more than Retention ago
	// are purged (tokens.purge_interval, tokens.retention); 0 runs no purge.
	PurgeInterval time.Duration
	Retention     time.Duration
	// Now is the clock; tests move it. Defaults to time.Now.
	Now func() time.Time
	// Version is the version the binary was built as, for
	// latchkey_build_info and the spans; "" takes what Go recorded.
	Version string
	// Tracing configures OpenTelemetry tracing (tracing.*); the zero value
	// records nothing but carries a caller's traceparent through.
	Tracing tracing.Options
	// Keys are the installation's token tag keys (tokens.tag_keys, or
	// those kept in the store); required.
	Keys *secret.Keyring
	// LeakKeys are the public keys signed leak reports are checked
	// against (leaks.*); nil accepts no signed report.
	LeakKeys *leaks.Keys
	// WebhookHosts are webhooks.allow_hosts; WebhookInterval is how often
	// due deliveries are sent (0: five seconds; below 0: only when
	// App.Dispatcher.Run is called, for tests); WebhookLease is how long
	// a claimed attempt is this instance's (0: webhooks.Lease).
	WebhookHosts    []string
	WebhookInterval time.Duration
	WebhookLease    time.Duration
	// GinOnly serves every request through the Gin engine: no lean path
	// in front of it for GET and HEAD of /api/v1/verify and /api/v1/token
	// (admin/lean.go). For tests and comparisons; App.Gin is that handler
	// whatever this says.
	GinOnly bool
}

// App is a wired Latchkey: every service, and the HTTP handler serving them.
type App struct {
	Store     store.Store
	Cache     *authn.Cache
	Tenants   *tenants.Service
	AppTokens *apptokens.Service
	Tokens    *usertokens.Service
	Users     *users.Service
	Scopes    *scopes.Service
	Audit     *audit.Log
	Auth      *authn.Authenticator
	LastUsed  *lastused.Batcher
	// Usage counts the requests of each app token; flushed
	// with last_used.
	Usage    *usage.Counter
	Leaks    *leaks.Service
	Webhooks *webhooks.Service
	// Dispatcher sends due webhook deliveries; the jobs run it.
	Dispatcher *webhooks.Dispatcher
	kick       chan struct{}
	Metrics    *metrics.Metrics
	Tracing    *tracing.Tracing
	// Handler serves every request: the lean path for the hottest routes
	// in front of Gin (unless Options.GinOnly), Gin for the rest.
	Handler http.Handler
	// Gin serves every request through the Gin engine alone, on the same
	// services, cache and counters as Handler (tests compare the two).
	Gin       http.Handler
	engine    *gin.Engine
	verifyH   *verification.Handler
	tokensH   *usertokens.Handler
	log       *zap.Logger
	accessLog *zap.Logger
	hashes    *secret.Limiter
	usage     *usage.Service

	// Purger deletes records expired more than a retention ago; the jobs
	// run it every PurgeInterval.
	Purger    *jobs.Purger
	jobs      *jobs.Scheduler
	closeOnce sync.Once
}

// Routes lists the routes the router serves.
func (a *App) Routes() gin.RoutesInfo { return a.engine.Routes() }

// New wires the services over o.Store, observed (timed, counted and
// traced per call), and builds the router.
func New(o Options) (*App, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.Tracing.Version == "" {
		o.Tracing.Version = o.Version
	}
	if o.Keys == nil {
		return nil, errors.New("admin: no token tag keys")
	}
	tr, err := tracing.New(o.Tracing)
	if err != nil {
		return nil, err
	}
	if o.AccessLog == nil {
		o.AccessLog = o.Logger
	}
	a := &App{log: o.Logger, accessLog: o.AccessLog, hashes: o.Hashes, Cache: authn.NewCache(o.CacheTTL, o.CacheSize, now),
		Metrics: metrics.New(o.Version), Tracing: tr}
	st := observed.Wrap(o.Store, a.Metrics, tr.Tracer(), tr.Enabled())
	a.Store = st
	a.Audit = &audit.Log{Store: st.Audit(), Logger: o.Logger, Now: now}
	a.Tenants = &tenants.Service{Store: st.Tenants(), Invalidate: a.Cache.Invalidate, Now: now}
	a.Scopes = &scopes.Service{Store: st.Scopes(), Tenants: a.Tenants, TTL: o.CacheTTL, Now: now}
	a.AppTokens = &apptokens.Service{Tenants: a.Tenants, Store: st.AppTokens(), Keys: o.Keys, Invalidate: a.Cache.Invalidate, Now: now,
		Catalog: a.Scopes}
	a.Users = &users.Service{Store: st.Users(), Hasher: o.Password, Hashes: o.Hashes, Invalidate: a.Cache.Invalidate, Now: now}
	a.Tokens = &usertokens.Service{Tenants: a.Tenants, Users: a.Users, Store: st.UserTokens(), Claims: st.Claims(), Keys: o.Keys,
		Invalidate: a.Cache.Invalidate, Now: now, DummyHash: o.Password.HashPassword(secret.NewPassword()), Hashes: o.Hashes,
		Catalog: a.Scopes}
	a.Users.Tokens, a.Users.Passwords = a.Tokens, a.Tokens
	a.Tenants.Provisioner = &Provisioner{Tenants: a.Tenants, Users: a.Users, AppTokens: a.AppTokens}
	a.LastUsed = lastused.New(st.LastUsed())
	a.Usage = usage.NewCounter(st.Usage(), now)
	a.usage = &usage.Service{Store: st.Usage(), Now: now}
	a.Purger = &jobs.Purger{Tenants: st.Tenants(), AppTokens: st.AppTokens(), Tokens: a.Tokens, Usage: st.Usage(), Now: now}
	src := &Source{Tenants: a.Tenants, AppTokens: a.AppTokens, Tokens: a.Tokens, Users: a.Users}
	a.Auth = &authn.Authenticator{Keys: o.Keys, Cache: a.Cache, Now: now, Recorder: a.LastUsed, Source: src, Console: src.Console,
		Limiter: &ratelimit.Limiter{Claims: RateClaims{st.Claims()}}}
	a.Leaks = &leaks.Service{Tenants: a.Tenants, AppTokens: a.AppTokens, Tokens: a.Tokens, Keyring: o.Keys}
	a.Leaks.SetKeys(o.LeakKeys)
	hosts := webhooks.NewHosts(o.WebhookHosts)
	a.Webhooks = &webhooks.Service{Store: st.Webhooks(), Keys: o.Keys, Hosts: hosts, Now: now}
	a.Dispatcher = &webhooks.Dispatcher{Service: a.Webhooks, Tenants: st.Tenants(), Audit: a.Audit, Client: hosts.Client(), Logger: o.Logger,
		Lease: o.WebhookLease}
	a.kick = make(chan struct{}, 1)
	a.registerMetrics(a.Metrics)
	h, err := a.router(o.TrustedProxies)
	if err != nil {
		return nil, err
	}
	a.engine = h
	a.Gin = httpx.Head(httpx.FoldSlash(h, "/console/"))
	a.Handler = a.Gin
	if !o.GinOnly {
		ips, err := httpx.NewClientIPs(o.TrustedProxies)
		if err != nil {
			return nil, err
		}
		a.Handler = &lean{app: a, next: a.Gin, verify: a.verifyH, tokens: a.tokensH, ips: ips}
	}
	a.startBackground(o)
	return a, nil
}

func (a *App) router(trusted []string) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(trusted); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	r.Use(httpx.AssignRequestID(), a.Tracing.Middleware(), httpx.NoSniff, httpx.AccessLog(a.accessLog), a.Metrics.Middleware(),
		httpx.DropUnreadBody, a.recover, a.Usage.Middleware(), httpx.Errors(a.log), httpx.HeaderLimit(httpx.MaxHeaderBytes), httpx.ValidUTF8())
	r.NoRoute(httpx.NoRoute)
	r.NoMethod(httpx.NoMethod)

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", httpx.Handle(a.ready))
	r.GET("/metrics", a.Metrics.Handler())
	console.Register(r)

	api := r.Group("/api/v1", httpx.NoStore)
	api.GET("/openapi.yaml", apidoc.Serve) // public: no credentials
	app := api.Group("", a.Auth.App())
	optional := api.Group("", a.Auth.Optional())
	// Every route of a user, but its own session's, needs latchkey:admin:
	// one guard for all of them.
	user := api.Group("", a.Auth.User(), authn.AdminScope())
	tokensH := &usertokens.Handler{Service: a.Tokens, Audit: a.Audit, Catalog: a.Scopes.Catalog}
	a.tokensH = tokensH
	tokensH.Register(app, optional, user)
	tokensH.RegisterConsole(api, func(ctx context.Context, t *tenants.Tenant) error {
		_, err := a.AppTokens.Console(ctx, t)
		return err
	})
	(&scopes.Handler{Service: a.Scopes, Audit: a.Audit}).Register(user)
	appTokens := &apptokens.Handler{Service: a.AppTokens, Audit: a.Audit}
	appTokens.Register(user)
	usersH := &users.Handler{Users: a.Users, Tenants: a.Tenants, Audit: a.Audit}
	usersH.Register(user)
	(&audit.Handler{Audit: a.Audit}).Register(user)
	(&usage.Handler{Service: a.usage, AppTokens: a.AppTokens}).Register(user)
	(&webhooks.Handler{Service: a.Webhooks, Audit: a.Audit, Kick: a.Kick}).Register(user)
	(&tenants.Handler{Service: a.Tenants, Audit: a.Audit}).Register(user)
	appTokens.RegisterPlatform(user)
	usersH.RegisterPlatform(user)
	(&leaks.Handler{Service: a.Leaks, Audit: a.Audit}).Register(api, a.Auth.User())
	a.verifyH = &verification.Handler{Auth: a.Auth, Metrics: a.Metrics, Catalog: a.Scopes.Catalog}
	a.verifyH.Register(api)
	return r, nil
}

func (a *App) ready(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		// An engine that answers but knows of tenants whose data is at
		// fault names them; the other tenants are served.
		if e, ok := errs.As(err); ok && e.Code == errs.Unavailable && e.Fields["tenants"] != "" {
			return e
		}
		return &errs.Error{Code: errs.Unavailable, Fields: map[string]string{"store": "The store does not answer."}, Cause: err}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}

// recover turns a panic into a logged internal error and a JSON 500.
func (a *App) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("panic", zap.String("request_id", httpx.RequestID(c)), zap.Any("panic", v), zap.Stack("stack"))
			httpx.Abort(c, errs.E(errs.Internal, "server", "Internal server error."))
		}
	}()
	c.Next()
}
