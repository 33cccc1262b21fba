// Package observed wraps an engine so that every store call is timed,
// counted and traced.
package observed

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ended"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/scopes"
	"github.com/latchkey/latchkey/store"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usage"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
	"github.com/latchkey/latchkey/webhooks"
)

// observed wraps an engine so that every store call is timed, its faults
// counted (latchkey_store_operation_duration_seconds,
// latchkey_store_errors_total, by engine and operation) and, when tracing
// is on, made a span, the child of the request's span. The engines know
// nothing of it: this is the one seam between the services and the store.
// Engine and Close pass through; every domain store is wrapped, method by
// method (the compiler checks each wrapper against its interface).
type observed struct {
	store.Store
	o *observer
}

// Wrap returns st observed through m and tracer; traced says whether
// spans are recorded at all (without, no span context is made per call).
func Wrap(st store.Store, m *metrics.Metrics, tracer trace.Tracer, traced bool) store.Store {
	return observed{Store: st, o: &observer{engine: st.Engine(), metrics: m, tracer: tracer, traced: traced}}
}

type observer struct {
	engine  string
	metrics *metrics.Metrics
	tracer  trace.Tracer
	traced  bool
}

// do runs call, the store call op for tenant ("" for the control store),
// timed, counted and traced.
func (o *observer) do(ctx context.Context, op, tenant string, call func(context.Context) error) error {
	m := o.metrics.StoreOp(o.engine, op)
	var span trace.Span
	if o.traced {
		ctx, span = o.tracer.Start(ctx, "store "+op, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.DBSystemNameKey.String(o.engine), semconv.DBOperationName(op),
				attribute.String("latchkey.tenant_id", tenant)))
	}
	start := time.Now()
	err := call(ctx)
	m.Latency.Observe(time.Since(start).Seconds())
	code := errs.CodeOf(err)
	switch code {
	case errs.Unavailable:
		m.Unavailable.Inc()
	case errs.Internal:
		m.Internal.Inc()
	}
	if span != nil {
		if code == errs.Unavailable || code == errs.Internal {
			span.SetStatus(codes.Error, string(code)) // the code only: a driver's message may quote a query
		}
		span.End()
	}
	return err
}

func (s observed) Tenants() tenants.Store        { return obsTenants{s.Store.Tenants(), s.o} }
func (s observed) Users() users.Store            { return obsUsers{s.Store.Users(), s.o} }
func (s observed) AppTokens() apptokens.Store    { return obsAppTokens{s.Store.AppTokens(), s.o} }
func (s observed) UserTokens() usertokens.Store  { return obsUserTokens{s.Store.UserTokens(), s.o} }
func (s observed) Claims() usertokens.ClaimStore { return obsClaims{s.Store.Claims(), s.o} }
func (s observed) Audit() audit.Store            { return obsAudit{s.Store.Audit(), s.o} }
func (s observed) LastUsed() lastused.Writer     { return obsLastUsed{s.Store.LastUsed(), s.o} }
func (s observed) Scopes() scopes.Store          { return obsScopes{s.Store.Scopes(), s.o} }
func (s observed) Usage() usage.Store            { return obsUsage{s.Store.Usage(), s.o} }
func (s observed) Webhooks() webhooks.Store      { return obsWebhooks{s.Store.Webhooks(), s.o} }
func (s observed) Ping(ctx context.Context) error {
	return s.o.do(ctx, "Ping", "", s.Store.Ping)
}

type obsTenants struct {
	next tenants.Store
	o    *observer
}

func (s obsTenants) Insert(ctx context.Context, t *tenants.Tenant) error {
	return s.o.do(ctx, "tenants.Insert", "", func(ctx context.Context) error { return s.next.Insert(ctx, t) })
}

func (s obsTenants) FindByID(ctx context.Context, id string) (t *tenants.Tenant, err error) {
	err = s.o.do(ctx, "tenants.FindByID", "", func(ctx context.Context) error { t, err = s.next.FindByID(ctx, id); return err })
	return t, err
}

func (s obsTenants) FindBySlug(ctx context.Context, slug string) (t *tenants.Tenant, err error) {
	err = s.o.do(ctx, "tenants.FindBySlug", "", func(ctx context.Context) error { t, err = s.next.FindBySlug(ctx, slug); return err })
	return t, err
}

func (s obsTenants) Find(ctx context.Context, pg page.Page) (list []tenants.Tenant, next string, err error) {
	err = s.o.do(ctx, "tenants.Find", "", func(ctx context.Context) error { list, next, err = s.next.Find(ctx, pg); return err })
	return list, next, err
}

func (s obsTenants) Replace(ctx context.Context, t *tenants.Tenant) error {
	return s.o.do(ctx, "tenants.Replace", "", func(ctx context.Context) error { return s.next.Replace(ctx, t) })
}

func (s obsTenants) CreateDatabase(ctx context.Context, id string) error {
	return s.o.do(ctx, "tenants.CreateDatabase", id, func(ctx context.Context) error { return s.next.CreateDatabase(ctx, id) })
}

func (s obsTenants) Delete(ctx context.Context, id string) error {
	return s.o.do(ctx, "tenants.Delete", id, func(ctx context.Context) error { return s.next.Delete(ctx, id) })
}

type obsUsers struct {
	next users.Store
	o    *observer
}

func (s obsUsers) Insert(ctx context.Context, tenantID string, u *users.User) error {
	return s.o.do(ctx, "users.Insert", tenantID, func(ctx context.Context) error { return s.next.Insert(ctx, tenantID, u) })
}

func (s obsUsers) FindByID(ctx context.Context, tenantID string, id ids.ID) (u *users.User, err error) {
	err = s.o.do(ctx, "users.FindByID", tenantID, func(ctx context.Context) error { u, err = s.next.FindByID(ctx, tenantID, id); return err })
	return u, err
}

func (s obsUsers) FindByUsername(ctx context.Context, tenantID, username string) (u *users.User, err error) {
	err = s.o.do(ctx, "users.FindByUsername", tenantID, func(ctx context.Context) error {
		u, err = s.next.FindByUsername(ctx, tenantID, username)
		return err
	})
	return u, err
}

func (s obsUsers) Find(ctx context.Context, tenantID string, f users.Filter, pg page.Page) (list []users.User, next string, err error) {
	err = s.o.do(ctx, "users.Find", tenantID, func(ctx context.Context) error { list, next, err = s.next.Find(ctx, tenantID, f, pg); return err })
	return list, next, err
}

func (s obsUsers) Replace(ctx context.Context, tenantID string, u *users.User) error {
	return s.o.do(ctx, "users.Replace", tenantID, func(ctx context.Context) error { return s.next.Replace(ctx, tenantID, u) })
}

func (s obsUsers) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.o.do(ctx, "users.Delete", tenantID, func(ctx context.Context) error { return s.next.Delete(ctx, tenantID, id) })
}

type obsAppTokens struct {
	next apptokens.Store
	o    *observer
}

func (s obsAppTokens) Insert(ctx context.Context, tenantID string, t *apptokens.Token) error {
	return s.o.do(ctx, "apptokens.Insert", tenantID, func(ctx context.Context) error { return s.next.Insert(ctx, tenantID, t) })
}

func (s obsAppTokens) FindByID(ctx context.Context, tenantID string, id ids.ID) (t *apptokens.Token, err error) {
	err = s.o.do(ctx, "apptokens.FindByID", tenantID, func(ctx context.Context) error { t, err = s.next.FindByID(ctx, tenantID, id); return err })
	return t, err
}

func (s obsAppTokens) Find(ctx context.Context, tenantID string, pg page.Page) (list []apptokens.Token, next string, err error) {
	err = s.o.do(ctx, "apptokens.Find", tenantID, func(ctx context.Context) error { list, next, err = s.next.Find(ctx, tenantID, pg); return err })
	return list, next, err
}

func (s obsAppTokens) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change, keep apptokens.KeepLive) error {
	return s.o.do(ctx, "apptokens.SetExpires", tenantID, func(ctx context.Context) error {
		return s.next.SetExpires(ctx, tenantID, id, c, keep)
	})
}

func (s obsAppTokens) Change(ctx context.Context, tenantID string, id ids.ID, d apptokens.Details, now time.Time) error {
	return s.o.do(ctx, "apptokens.Change", tenantID, func(ctx context.Context) error { return s.next.Change(ctx, tenantID, id, d, now) })
}

func (s obsAppTokens) Rotate(ctx context.Context, tenantID string, next *apptokens.Token, c ended.Change) error {
	return s.o.do(ctx, "apptokens.Rotate", tenantID, func(ctx context.Context) error { return s.next.Rotate(ctx, tenantID, next, c) })
}

func (s obsAppTokens) Delete(ctx context.Context, tenantID string, id ids.ID, keep apptokens.KeepLive) error {
	return s.o.do(ctx, "apptokens.Delete", tenantID, func(ctx context.Context) error { return s.next.Delete(ctx, tenantID, id, keep) })
}

func (s obsAppTokens) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (n int64, err error) {
	err = s.o.do(ctx, "apptokens.PurgeExpired", tenantID, func(ctx context.Context) error { n, err = s.next.PurgeExpired(ctx, tenantID, cutoff); return err })
	return n, err
}

type obsUserTokens struct {
	next usertokens.Store
	o    *observer
}

func (s obsUserTokens) Insert(ctx context.Context, tenantID string, t *usertokens.Token) error {
	return s.o.do(ctx, "usertokens.Insert", tenantID, func(ctx context.Context) error { return s.next.Insert(ctx, tenantID, t) })
}

func (s obsUserTokens) FindByID(ctx context.Context, tenantID string, id ids.ID) (t *usertokens.Token, err error) {
	err = s.o.do(ctx, "usertokens.FindByID", tenantID, func(ctx context.Context) error { t, err = s.next.FindByID(ctx, tenantID, id); return err })
	return t, err
}

func (s obsUserTokens) HasChild(ctx context.Context, tenantID string, id ids.ID) (has bool, err error) {
	err = s.o.do(ctx, "usertokens.HasChild", tenantID, func(ctx context.Context) error { has, err = s.next.HasChild(ctx, tenantID, id); return err })
	return has, err
}

func (s obsUserTokens) Find(ctx context.Context, tenantID string, f usertokens.Filter, now time.Time, pg page.Page) (list []usertokens.Token, next string, err error) {
	err = s.o.do(ctx, "usertokens.Find", tenantID, func(ctx context.Context) error {
		list, next, err = s.next.Find(ctx, tenantID, f, now, pg)
		return err
	})
	return list, next, err
}

func (s obsUserTokens) Rotate(ctx context.Context, tenantID string, next *usertokens.Token, c ended.Change) error {
	return s.o.do(ctx, "usertokens.Rotate", tenantID, func(ctx context.Context) error { return s.next.Rotate(ctx, tenantID, next, c) })
}

func (s obsUserTokens) SetExpires(ctx context.Context, tenantID string, id ids.ID, c ended.Change) error {
	return s.o.do(ctx, "usertokens.SetExpires", tenantID, func(ctx context.Context) error {
		return s.next.SetExpires(ctx, tenantID, id, c)
	})
}

func (s obsUserTokens) Expire(ctx context.Context, tenantID string, sel usertokens.Selector, now time.Time, by ended.By) (n int64, err error) {
	err = s.o.do(ctx, "usertokens.Expire", tenantID, func(ctx context.Context) error {
		n, err = s.next.Expire(ctx, tenantID, sel, now, by)
		return err
	})
	return n, err
}

func (s obsUserTokens) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.o.do(ctx, "usertokens.Delete", tenantID, func(ctx context.Context) error { return s.next.Delete(ctx, tenantID, id) })
}

func (s obsUserTokens) PurgeExpired(ctx context.Context, tenantID string, cutoff time.Time) (n int64, err error) {
	err = s.o.do(ctx, "usertokens.PurgeExpired", tenantID, func(ctx context.Context) error { n, err = s.next.PurgeExpired(ctx, tenantID, cutoff); return err })
	return n, err
}

type obsClaims struct {
	next usertokens.ClaimStore
	o    *observer
}

func (s obsClaims) InsertClaim(ctx context.Context, tenantID string, c usertokens.Claim) error {
	return s.o.do(ctx, "claims.InsertClaim", tenantID, func(ctx context.Context) error { return s.next.InsertClaim(ctx, tenantID, c) })
}

func (s obsClaims) FindClaim(ctx context.Context, tenantID, id string) (c *usertokens.Claim, err error) {
	err = s.o.do(ctx, "claims.FindClaim", tenantID, func(ctx context.Context) error { c, err = s.next.FindClaim(ctx, tenantID, id); return err })
	return c, err
}

func (s obsClaims) ReplaceClaim(ctx context.Context, tenantID string, old *usertokens.Claim, c usertokens.Claim) error {
	return s.o.do(ctx, "claims.ReplaceClaim", tenantID, func(ctx context.Context) error { return s.next.ReplaceClaim(ctx, tenantID, old, c) })
}

func (s obsClaims) DeleteClaim(ctx context.Context, tenantID, id string) error {
	return s.o.do(ctx, "claims.DeleteClaim", tenantID, func(ctx context.Context) error { return s.next.DeleteClaim(ctx, tenantID, id) })
}

func (s obsClaims) DeleteClaims(ctx context.Context, tenantID, prefix string) (n int64, err error) {
	err = s.o.do(ctx, "claims.DeleteClaims", tenantID, func(ctx context.Context) error { n, err = s.next.DeleteClaims(ctx, tenantID, prefix); return err })
	return n, err
}

func (s obsClaims) PurgeClaims(ctx context.Context, tenantID string, now time.Time) (n int64, err error) {
	err = s.o.do(ctx, "claims.PurgeClaims", tenantID, func(ctx context.Context) error { n, err = s.next.PurgeClaims(ctx, tenantID, now); return err })
	return n, err
}

type obsAudit struct {
	next audit.Store
	o    *observer
}

func (s obsAudit) Insert(ctx context.Context, tenantID string, r *audit.Record) error {
	return s.o.do(ctx, "audit.Insert", tenantID, func(ctx context.Context) error { return s.next.Insert(ctx, tenantID, r) })
}

func (s obsAudit) Find(ctx context.Context, tenantID string, f audit.Filter, pg page.Page) (list []audit.Record, next string, err error) {
	err = s.o.do(ctx, "audit.Find", tenantID, func(ctx context.Context) error { list, next, err = s.next.Find(ctx, tenantID, f, pg); return err })
	return list, next, err
}

type obsLastUsed struct {
	next lastused.Writer
	o    *observer
}

func (s obsLastUsed) Write(ctx context.Context, tenantID, collection string, uses []lastused.Use) error {
	return s.o.do(ctx, "lastused.Write", tenantID, func(ctx context.Context) error { return s.next.Write(ctx, tenantID, collection, uses) })
}

type obsScopes struct {
	next scopes.Store
	o    *observer
}

func (s obsScopes) Put(ctx context.Context, sc *scopes.Scope) error {
	return s.o.do(ctx, "scopes.Put", "", func(ctx context.Context) error { return s.next.Put(ctx, sc) })
}

func (s obsScopes) FindByName(ctx context.Context, name string) (sc *scopes.Scope, err error) {
	err = s.o.do(ctx, "scopes.FindByName", "", func(ctx context.Context) error { sc, err = s.next.FindByName(ctx, name); return err })
	return sc, err
}

func (s obsScopes) Find(ctx context.Context, pg page.Page) (list []scopes.Scope, next string, err error) {
	err = s.o.do(ctx, "scopes.Find", "", func(ctx context.Context) error { list, next, err = s.next.Find(ctx, pg); return err })
	return list, next, err
}

func (s obsScopes) Delete(ctx context.Context, name string) error {
	return s.o.do(ctx, "scopes.Delete", "", func(ctx context.Context) error { return s.next.Delete(ctx, name) })
}

func (s obsScopes) Held(ctx context.Context, tenantID, name string, now time.Time) (held bool, err error) {
	err = s.o.do(ctx, "scopes.Held", tenantID, func(ctx context.Context) error { held, err = s.next.Held(ctx, tenantID, name, now); return err })
	return held, err
}

type obsUsage struct {
	next usage.Store
	o    *observer
}

func (s obsUsage) Add(ctx context.Context, tenantID string, rows []usage.Row) error {
	return s.o.do(ctx, "usage.Add", tenantID, func(ctx context.Context) error { return s.next.Add(ctx, tenantID, rows) })
}

func (s obsUsage) Hours(ctx context.Context, tenantID string, id ids.ID, since, until time.Time) (list []usage.Bucket, err error) {
	err = s.o.do(ctx, "usage.Hours", tenantID, func(ctx context.Context) error {
		list, err = s.next.Hours(ctx, tenantID, id, since, until)
		return err
	})
	return list, err
}

func (s obsUsage) Totals(ctx context.Context, tenantID string, since, until time.Time) (list []usage.TokenCounts, err error) {
	err = s.o.do(ctx, "usage.Totals", tenantID, func(ctx context.Context) error {
		list, err = s.next.Totals(ctx, tenantID, since, until)
		return err
	})
	return list, err
}

func (s obsUsage) Purge(ctx context.Context, tenantID string, cutoff time.Time) (n int64, err error) {
	err = s.o.do(ctx, "usage.Purge", tenantID, func(ctx context.Context) error { n, err = s.next.Purge(ctx, tenantID, cutoff); return err })
	return n, err
}

type obsWebhooks struct {
	next webhooks.Store
	o    *observer
}

func (s obsWebhooks) Insert(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	return s.o.do(ctx, "webhooks.Insert", tenantID, func(ctx context.Context) error { return s.next.Insert(ctx, tenantID, w) })
}

func (s obsWebhooks) FindByID(ctx context.Context, tenantID string, id ids.ID) (w *webhooks.Webhook, err error) {
	err = s.o.do(ctx, "webhooks.FindByID", tenantID, func(ctx context.Context) error { w, err = s.next.FindByID(ctx, tenantID, id); return err })
	return w, err
}

func (s obsWebhooks) Find(ctx context.Context, tenantID string, pg page.Page) (list []webhooks.Webhook, next string, err error) {
	err = s.o.do(ctx, "webhooks.Find", tenantID, func(ctx context.Context) error { list, next, err = s.next.Find(ctx, tenantID, pg); return err })
	return list, next, err
}

func (s obsWebhooks) Replace(ctx context.Context, tenantID string, w *webhooks.Webhook) error {
	return s.o.do(ctx, "webhooks.Replace", tenantID, func(ctx context.Context) error { return s.next.Replace(ctx, tenantID, w) })
}

func (s obsWebhooks) SetFailing(ctx context.Context, tenantID string, id ids.ID, since *time.Time) error {
	return s.o.do(ctx, "webhooks.SetFailing", tenantID, func(ctx context.Context) error { return s.next.SetFailing(ctx, tenantID, id, since) })
}

func (s obsWebhooks) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.o.do(ctx, "webhooks.Delete", tenantID, func(ctx context.Context) error { return s.next.Delete(ctx, tenantID, id) })
}

func (s obsWebhooks) InsertDelivery(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	return s.o.do(ctx, "webhooks.InsertDelivery", tenantID, func(ctx context.Context) error { return s.next.InsertDelivery(ctx, tenantID, d) })
}

func (s obsWebhooks) FindDelivery(ctx context.Context, tenantID string, webhook, id ids.ID) (d *webhooks.Delivery, err error) {
	err = s.o.do(ctx, "webhooks.FindDelivery", tenantID, func(ctx context.Context) error {
		d, err = s.next.FindDelivery(ctx, tenantID, webhook, id)
		return err
	})
	return d, err
}

func (s obsWebhooks) Deliveries(ctx context.Context, tenantID string, webhook ids.ID, pg page.Page) (list []webhooks.Delivery, next string, err error) {
	err = s.o.do(ctx, "webhooks.Deliveries", tenantID, func(ctx context.Context) error {
		list, next, err = s.next.Deliveries(ctx, tenantID, webhook, pg)
		return err
	})
	return list, next, err
}

func (s obsWebhooks) Due(ctx context.Context, tenantID string, now time.Time, limit int) (list []webhooks.Delivery, err error) {
	err = s.o.do(ctx, "webhooks.Due", tenantID, func(ctx context.Context) error { list, err = s.next.Due(ctx, tenantID, now, limit); return err })
	return list, err
}

func (s obsWebhooks) Claim(ctx context.Context, tenantID string, d *webhooks.Delivery, now, until time.Time) (won bool, err error) {
	err = s.o.do(ctx, "webhooks.Claim", tenantID, func(ctx context.Context) error { won, err = s.next.Claim(ctx, tenantID, d, now, until); return err })
	return won, err
}

func (s obsWebhooks) Settle(ctx context.Context, tenantID string, d *webhooks.Delivery) error {
	return s.o.do(ctx, "webhooks.Settle", tenantID, func(ctx context.Context) error { return s.next.Settle(ctx, tenantID, d) })
}
