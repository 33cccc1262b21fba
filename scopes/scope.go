// Package scopes keeps the installation's scope catalog: the
// scopes the platform's API declares, which app tokens and user tokens are
// restricted to. The catalog is installation-wide: it lives in the control
// store, beside the tenant registry.
package scopes

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
)

// Collection is the control collection (MongoDB) of the catalog.
const Collection = "scopes"

// Scope is one entry of the catalog.
type Scope struct {
	Name        string    `bson:"_id" json:"name"`
	Description string    `bson:"description" json:"description"`
	Created     time.Time `bson:"created" json:"created"`
	Updated     time.Time `bson:"updated" json:"updated"`
	// BuiltIn marks latchkey:admin, which is not stored: it cannot be
	// redefined or deleted.
	BuiltIn bool `bson:"-" json:"built_in"`
}

// MarshalJSON writes s as answers show it, its times as clock.Time. (A
// type embedding Scope would marshal as Scope alone: none does.)
func (s Scope) MarshalJSON() ([]byte, error) {
	type fields Scope
	return json.Marshal(struct {
		fields
		Created clock.Time `json:"created"`
		Updated clock.Time `json:"updated"`
	}{fields(s), clock.Time(s.Created), clock.Time(s.Updated)})
}

// Admin is the built-in entry of access.AdminScope.
var Admin = Scope{Name: access.AdminScope, Description: "Manage Latchkey itself: every route of its API " +
	"beyond the caller's own session, /verify and /introspect.", BuiltIn: true}

// MaxDescription is the longest description, in characters.
const MaxDescription = 500

// CheckName returns nil when name may be put in the catalog: it has the
// form of a scope name and is not reserved. Errors: Invalid, on "name".
func CheckName(name string) error {
	if !access.ValidScopeName(name) {
		return errs.E(errs.Invalid, "name", "A scope name matches ^[a-z][a-z0-9._:-]{0,63}$.")
	}
	if len(name) >= len(access.ReservedPrefix) && name[:len(access.ReservedPrefix)] == access.ReservedPrefix {
		return errs.E(errs.Invalid, "name", "The prefix "+access.ReservedPrefix+" is reserved for Latchkey's own scopes.")
	}
	return nil
}

// ErrNotFound is the engines' answer for a scope not in the catalog.
var ErrNotFound = errs.E(errs.NotFound, "name", "No such scope.")

// ErrHeld answers a delete of a scope a live token still holds.
var ErrHeld = errs.E(errs.Conflict, "name", "A live token still holds this scope; "+
	"change or expire the tokens that hold it first.")

// ErrBuiltIn answers a change of latchkey:admin.
var ErrBuiltIn = errs.E(errs.Invalid, "name", "The scope "+access.AdminScope+" is built in: it cannot be changed or deleted.")
