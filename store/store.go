// Package store declares what a storage engine is: every domain's store over
// one set of databases. The engines live below it (store/sqlite, the embedded
// default, and store/mongo), with the behavioural suite both pass
// (store/storetest), the migration between them (store/migrate) and the
// observing wrapper every store call goes through (store/observed).
package store

import (
	"context"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/lastused"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/scopes"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usage"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
	"github.com/latchkey/latchkey/webhooks"
)

// Store is an open storage engine: every domain's store over one set of
// databases. store/sqlite (the embedded default) and store/mongo
// implement it, and both pass store/storetest.
type Store interface {
	Tenants() tenants.Store
	Users() users.Store
	AppTokens() apptokens.Store
	UserTokens() usertokens.Store
	Claims() usertokens.ClaimStore
	Audit() audit.Store
	// Webhooks keeps webhooks and deliveries; Audit().Insert writes a
	// record's pending deliveries in the same store change.
	Webhooks() webhooks.Store
	// LastUsed writes the batched last_used times.
	LastUsed() lastused.Writer
	// Usage keeps the app tokens' usage buckets.
	Usage() usage.Store
	// Keys keeps the installation's token tag keys.
	Keys() secret.KeyStore
	// Scopes keeps the scope catalog.
	Scopes() scopes.Store
	// Engine names the engine ("sqlite", "mongodb") for logs and metrics.
	Engine() string
	// Ping checks that the store answers. Errors: Unavailable.
	Ping(ctx context.Context) error
	// Close releases the store's connections and files.
	Close() error
}

// Views are an engine's domain stores, each a view of its databases. An
// engine embeds Views, filled in when it opens, and so has every accessor
// of Store once, here.
type Views struct {
	TenantStore   tenants.Store
	UserStore     users.Store
	AppTokenStore apptokens.Store
	TokenStore    usertokens.Store
	ClaimStore    usertokens.ClaimStore
	AuditStore    audit.Store
	LastUsedStore lastused.Writer
	UsageStore    usage.Store
	WebhookStore  webhooks.Store
	ScopeStore    scopes.Store
}

// Tenants implements Store.
func (v *Views) Tenants() tenants.Store { return v.TenantStore }

// Users implements Store.
func (v *Views) Users() users.Store { return v.UserStore }

// AppTokens implements Store.
func (v *Views) AppTokens() apptokens.Store { return v.AppTokenStore }

// UserTokens implements Store.
func (v *Views) UserTokens() usertokens.Store { return v.TokenStore }

// Claims implements Store.
func (v *Views) Claims() usertokens.ClaimStore { return v.ClaimStore }

// Audit implements Store.
func (v *Views) Audit() audit.Store { return v.AuditStore }

// LastUsed implements Store.
func (v *Views) LastUsed() lastused.Writer { return v.LastUsedStore }

// Usage implements Store.
func (v *Views) Usage() usage.Store { return v.UsageStore }

// Webhooks implements Store.
func (v *Views) Webhooks() webhooks.Store { return v.WebhookStore }

// Scopes implements Store.
func (v *Views) Scopes() scopes.Store { return v.ScopeStore }
