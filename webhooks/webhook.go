// Package webhooks pushes a tenant's events (its audit records) to the
// endpoints its owners and admins register: Standard Webhooks
// signing, at-least-once delivery from an outbox written with the audit
// record, retries with exponential backoff, a lease per delivery so one
// instance sends it at a time, and a dialer that refuses private addresses.
package webhooks

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
)

// Endpoint states.
const (
	Enabled  = "enabled"
	Disabled = "disabled"
)

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// PingType is the event type of POST /webhooks/{id}/test.
const PingType = "webhook.ping"

// Webhook is a registered endpoint. Secret is its signing secret sealed
// with the installation's keys (secret.Keyring.Seal): never in an answer.
type Webhook struct {
	ID          ids.ID    `bson:"_id" json:"id"`
	URL         string    `bson:"url" json:"url"`
	Events      []string  `bson:"events" json:"events"`
	Description string    `bson:"description" json:"description"`
	Status      string    `bson:"status" json:"status"`
	Secret      string    `bson:"secret" json:"-"`
	Created     time.Time `bson:"created" json:"created"`
	Updated     time.Time `bson:"updated" json:"updated"`
	CreatedBy   *ids.ID   `bson:"created_by,omitempty" json:"created_by"`
	// FailingSince is when the endpoint's current run of failed attempts
	// began; nil while its last attempt succeeded.
	FailingSince *time.Time `bson:"failing_since,omitempty" json:"failing_since"`
}

// Created is the answer of POST /webhooks: the endpoint and, this once,
// its signing secret.
type Created struct {
	*Webhook
	Secret string `json:"secret"`
}

// webhookJSON is a Webhook as answers show it, its times as clock.Time.
type webhookJSON struct {
	webhookFields
	Created      clock.Time  `json:"created"`
	Updated      clock.Time  `json:"updated"`
	FailingSince *clock.Time `json:"failing_since"`
}

type webhookFields Webhook

func (w *Webhook) shown() webhookJSON {
	return webhookJSON{webhookFields(*w), clock.Time(w.Created), clock.Time(w.Updated), (*clock.Time)(w.FailingSince)}
}

// MarshalJSON writes w as answers show it. (A type embedding Webhook
// marshals as Webhook alone unless it has a MarshalJSON of its own, as
// Created has.)
func (w Webhook) MarshalJSON() ([]byte, error) { return json.Marshal(w.shown()) }

// MarshalJSON writes c as the webhook and its secret.
func (c Created) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		webhookJSON
		Secret string `json:"secret"`
	}{c.Webhook.shown(), c.Secret})
}

// Delivery is one event on its way to one endpoint. Its id is the
// webhook-id header of every attempt (receivers deduplicate by it).
type Delivery struct {
	ID      ids.ID `bson:"_id" json:"id"`
	Webhook ids.ID `bson:"webhook" json:"webhook"`
	// Event is the audit record's id (or the ping's).
	Event       ids.ID     `bson:"event" json:"event"`
	Type        string     `bson:"type" json:"type"`
	Payload     string     `bson:"payload" json:"-"`
	Status      string     `bson:"status" json:"status"`
	Attempts    int        `bson:"attempts" json:"attempts"`
	LastStatus  int        `bson:"last_status" json:"last_status_code"`
	LastError   string     `bson:"last_error" json:"last_error"`
	NextAttempt *time.Time `bson:"next_attempt,omitempty" json:"next_attempt"`
	Created     time.Time  `bson:"created" json:"created"`
	Updated     time.Time  `bson:"updated" json:"updated"`
}

// MarshalJSON writes d as answers show it, its times as clock.Time. (A
// type embedding Delivery would marshal as Delivery alone: none does.)
func (d Delivery) MarshalJSON() ([]byte, error) {
	type fields Delivery
	return json.Marshal(struct {
		fields
		NextAttempt *clock.Time `json:"next_attempt"`
		Created     clock.Time  `json:"created"`
		Updated     clock.Time  `json:"updated"`
	}{fields(d), (*clock.Time)(d.NextAttempt), clock.Time(d.Created), clock.Time(d.Updated)})
}

// Event is the body of a delivery (Standard Webhooks): it carries the
// audit record, which never holds a secret.
type Event struct {
	Type      string     `json:"type"`
	Timestamp clock.Time `json:"timestamp"`
	Data      any        `json:"data"`
}

// Match reports whether action is chosen by one of patterns: parts
// separated by dots, "*" matching any one part, "**"-style depth not
// supported ("app_token.*" matches "app_token.create", not "app_token").
func Match(patterns []string, action string) bool {
	for _, p := range patterns {
		if matchOne(p, action) {
			return true
		}
	}
	return false
}

func matchOne(pattern, action string) bool {
	pp, ap := strings.Split(pattern, "."), strings.Split(action, ".")
	if len(pp) != len(ap) {
		return false
	}
	for i := range pp {
		if pp[i] != "*" && pp[i] != ap[i] {
			return false
		}
	}
	return true
}

// Outbox returns the pending deliveries of audit record r to the enabled
// hooks among hooks whose patterns choose it: what an engine writes in
// the same store change as r.
func Outbox(hooks []Webhook, r *audit.Record) []Delivery {
	var out []Delivery
	for i := range hooks {
		h := &hooks[i]
		if h.Status != Enabled || !Match(h.Events, r.Action) {
			continue
		}
		body, _ := json.Marshal(Event{Type: r.Action, Timestamp: clock.Time(r.At), Data: r}) // a Record always marshals
		next := r.At
		out = append(out, Delivery{ID: ids.NewAt(r.At), Webhook: h.ID, Event: r.ID, Type: r.Action,
			Payload: string(body), Status: Pending, NextAttempt: &next, Created: r.At, Updated: r.At})
	}
	return out
}

// Errors.
var (
	ErrNotFound         = errs.E(errs.NotFound, "id", "No such webhook.")
	ErrDeliveryNotFound = errs.E(errs.NotFound, "delivery", "No such delivery.")
	ErrNotRetryable     = errs.E(errs.Conflict, "delivery", "Only a failed delivery can be retried; a pending one is on its way.")
)
