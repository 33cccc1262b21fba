package admin

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/admin/jobs"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/batch"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/leaks"
)

// finalFlushTimeout bounds the last_used flush of Close: with the store down
// it gives up rather than hold up the shutdown.
const finalFlushTimeout = 10 * time.Second

// startBackground starts the periodic jobs: the last_used flush every
// o.LastUsedFlush (default one minute) and, when o.PurgeInterval is set, the
// purge of records expired more than o.Retention ago. Close stops them.
func (a *App) startBackground(o Options) {
	a.jobs = jobs.NewScheduler()
	flush := o.LastUsedFlush
	if flush <= 0 {
		flush = time.Minute
	}
	a.jobs.Every(flush, func(ctx context.Context) {
		if err := a.LastUsed.Flush(ctx); err != nil {
			a.log.Warn("last_used flush failed; kept for the next one", zap.Error(err))
		}
		if err := a.Usage.Flush(ctx); err != nil {
			a.log.Warn("usage flush failed; kept for the next one", zap.Error(err))
		}
	})
	if o.WebhookInterval >= 0 {
		a.jobs.Go(func(ctx context.Context) { a.dispatchLoop(ctx, o.WebhookInterval) })
	}
	if o.PurgeInterval > 0 {
		a.jobs.Every(o.PurgeInterval, func(ctx context.Context) {
			rep, err := a.Purger.Run(ctx, o.Retention)
			fields := []zap.Field{zap.Int("tenants", rep.Tenants), zap.Int64("app_tokens", rep.AppTokens),
				zap.Int64("tokens", rep.Tokens), zap.Int64("claims", rep.Claims), zap.Int64("usage", rep.Usage)}
			if err != nil {
				a.log.Warn("purge failed in part; the next run retries", append(fields, zap.Error(err))...)
				return
			}
			a.log.Info("purged expired records", fields...)
		})
	}
}

// dispatchLoop sends due webhook deliveries every interval (0: five
// seconds) and soon after a Kick, until ctx ends.
func (a *App) dispatchLoop(ctx context.Context, interval time.Duration) {
	if interval == 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.kick:
		}
		if err := a.Dispatcher.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("webhook deliveries: a pass failed in part; the next one retries", zap.Error(err))
		}
	}
}

// Kick asks the dispatcher for a pass soon (a test ping, a retry).
func (a *App) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Close stops the periodic jobs, writes the pending last_used times and
// exports the spans still buffered. Call it after the HTTP server has
// stopped and before the store closes; calling it again does nothing.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		a.jobs.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), finalFlushTimeout)
		defer cancel()
		if err := a.LastUsed.Flush(ctx); err != nil {
			a.log.Warn("last_used: final flush failed", zap.Error(err), zap.Int("lost", a.LastUsed.Stats().Pending))
		}
		if err := a.Usage.Flush(ctx); err != nil {
			a.log.Warn("usage: final flush failed", zap.Error(err), zap.Int("lost", a.Usage.Stats().Pending))
		}
		if err := a.Tracing.Shutdown(ctx); err != nil {
			a.log.Warn("tracing: the last spans were not exported", zap.Error(err))
		}
	})
}

// registerMetrics adds the verification outcomes, the verification cache's
// and the last_used batcher's counters and the leaked tokens to m.
func (a *App) registerMetrics(m *metrics.Metrics) {
	verified := m.CounterTable("latchkey_verifications_total",
		"Token verifications by credential (app_token, user_token) and outcome.",
		"credential", authn.CredentialNames, "outcome", authn.OutcomeNames)
	a.Auth.Observe = func(c authn.Credential, o authn.Outcome) { verified[c][o].Inc() }
	leaked := m.CounterTable("latchkey_leaked_tokens_total",
		"Entries of leak reports by the kind of Latchkey token they name (other: none) and label.",
		"kind", leakKindNames, "label", leakLabels)
	a.Leaks.Observe = func(k secret.Kind, label string) {
		leaked[slices.Index(leakKinds, k)][slices.Index(leakLabels, label)].Inc()
	}

	m.Counter("latchkey_cache_hits_total", "Token verifications answered by the cache.", func() float64 {
		hits, _ := a.Cache.Stats()
		return float64(hits)
	})
	m.Counter("latchkey_cache_misses_total", "Token verifications that went to the store.", func() float64 {
		_, misses := a.Cache.Stats()
		return float64(misses)
	})
	m.Gauge("latchkey_cache_entries", "Verified credentials held in the cache.", func() float64 { return float64(a.Cache.Len()) })
	if h := a.hashes; h != nil {
		m.Gauge("latchkey_password_hashes_running", "Password hashes running (at most password.max_concurrent).",
			func() float64 { return float64(h.Running()) })
		m.Gauge("latchkey_password_hashes_waiting", "Logins waiting for a password hash slot (at most password.max_queued).",
			func() float64 { return float64(h.Waiting()) })
	}
	batchMetrics(m, "last_used", "Token last_used updates", "Tokens used since their last_used was last written.",
		a.LastUsed.Stats)
	batchMetrics(m, "usage", "Usage bucket rows (one per app token and hour per flush)",
		"Usage buckets counted in since they were last written.",
		func() batch.Stats { return a.Usage.Stats().Stats })
}

// batchMetrics adds the counters of one write-behind batcher to m, named
// latchkey_<name>_{flushes,written,failed}_total and latchkey_<name>_pending;
// rows says what a row is and pending what the pending gauge counts.
func batchMetrics(m *metrics.Metrics, name, rows, pending string, stats func() batch.Stats) {
	of := func(f func(batch.Stats) uint64) func() float64 {
		return func() float64 { return float64(f(stats())) }
	}
	m.Counter("latchkey_"+name+"_flushes_total", name+" flushes that had something to write.",
		of(func(s batch.Stats) uint64 { return s.Flushes }))
	m.Counter("latchkey_"+name+"_written_total", rows+" written.",
		of(func(s batch.Stats) uint64 { return s.Written }))
	m.Counter("latchkey_"+name+"_failed_total", rows+" that failed and were kept for the next flush.",
		of(func(s batch.Stats) uint64 { return s.Failed }))
	m.Gauge("latchkey_"+name+"_pending", pending,
		func() float64 { return float64(stats().Pending) })
}

// leakKinds are the kinds latchkey_leaked_tokens_total counts, named by
// leakKindNames; "" is anything that is not a Latchkey token.
var (
	leakKinds     = []secret.Kind{secret.App, secret.User, secret.Refresh, ""}
	leakKindNames = []string{"app_token", "user_token", "refresh_token", "other"}
	leakLabels    = []string{leaks.TruePositive, leaks.FalsePositive}
)
