package webhooks

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/secret"
)

// sealPurpose separates the key that seals signing secrets from every
// other use of the installation's keys.
const sealPurpose = "webhook signing secret"

// maxEvents bounds a webhook's patterns.
const maxEvents = 50

// Service holds the webhook rules. Every method works in the principal's
// tenant and needs access.ManageWebhooks (the handler checks it).
type Service struct {
	Store Store
	Keys  *secret.Keyring
	Hosts Hosts
	Now   func() time.Time
}

// New is the body of POST /webhooks.
type New struct {
	URL         string   `json:"url" validate:"required"`
	Events      []string `json:"events" validate:"required,min=1"`
	Description string   `json:"description" validate:"max=500,safetext"`
}

// Patch is the body of PATCH /webhooks/{id}; absent fields stay.
type Patch struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description" validate:"omitempty,max=500,safetext"`
	Status      *string   `json:"status" validate:"omitempty,oneof=enabled disabled"`
}

func (s *Service) check(url string, events []string) error {
	f := map[string]string{}
	if m := s.Hosts.CheckURL(url); m != "" {
		f["url"] = m
	}
	if len(events) == 0 || len(events) > maxEvents {
		f["events"] = "Between 1 and 50 patterns."
	}
	for _, e := range events {
		if !validPattern(e) {
			f["events"] = "A pattern is dot-separated parts of a-z, 0-9 and _, or *: " + quote(e)
			break
		}
	}
	return errs.Fields(f)
}

func validPattern(p string) bool {
	if len(p) > 100 {
		return false
	}
	for _, part := range strings.Split(p, ".") {
		if part == "*" {
			continue
		}
		if part == "" || strings.Trim(part, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return false
		}
	}
	return true
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// Create registers an endpoint and returns it with its signing secret,
// which no later answer shows. Errors: Invalid, Unavailable.
func (s *Service) Create(ctx context.Context, p *access.Principal, req New) (*Created, error) {
	if err := s.check(req.URL, req.Events); err != nil {
		return nil, err
	}
	now := clock.Stored(s.Now())
	plain := NewSecret()
	w := &Webhook{ID: ids.NewAt(now), URL: req.URL, Events: req.Events, Description: req.Description,
		Status: Enabled, Secret: s.Keys.Seal(sealPurpose, []byte(plain)), Created: now, Updated: now}
	if !p.UserID.IsZero() {
		id := p.UserID
		w.CreatedBy = &id
	}
	if err := s.Store.Insert(ctx, p.TenantID, w); err != nil {
		return nil, err
	}
	return &Created{Webhook: w, Secret: plain}, nil
}

// Get errors: ErrNotFound, Unavailable.
func (s *Service) Get(ctx context.Context, tenantID string, id ids.ID) (*Webhook, error) {
	return s.Store.FindByID(ctx, tenantID, id)
}

// List returns a page of the tenant's webhooks.
func (s *Service) List(ctx context.Context, tenantID string, pg page.Page) ([]Webhook, string, error) {
	return s.Store.Find(ctx, tenantID, pg)
}

// Update applies req. Enabling an endpoint forgets its failures.
// Errors: Invalid, ErrNotFound, Unavailable.
func (s *Service) Update(ctx context.Context, tenantID string, id ids.ID, req Patch) (*Webhook, error) {
	w, err := s.Store.FindByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if req.URL != nil {
		w.URL = *req.URL
	}
	if req.Events != nil {
		w.Events = *req.Events
	}
	if err := s.check(w.URL, w.Events); err != nil {
		return nil, err
	}
	if req.Description != nil {
		w.Description = *req.Description
	}
	if req.Status != nil {
		if *req.Status == Enabled && w.Status != Enabled {
			w.FailingSince = nil
		}
		w.Status = *req.Status
	}
	w.Updated = clock.Stored(s.Now())
	if err := s.Store.Replace(ctx, tenantID, w); err != nil {
		return nil, err
	}
	return w, nil
}

// Delete removes the endpoint and its deliveries. Errors: ErrNotFound.
func (s *Service) Delete(ctx context.Context, tenantID string, id ids.ID) error {
	return s.Store.Delete(ctx, tenantID, id)
}

// Ping queues a webhook.ping event to the endpoint, to be sent at once.
// Errors: ErrNotFound, Unavailable.
func (s *Service) Ping(ctx context.Context, tenantID string, id ids.ID) (*Delivery, error) {
	w, err := s.Store.FindByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(s.Now())
	ev := ids.NewAt(now)
	body, _ := json.Marshal(Event{Type: PingType, Timestamp: clock.Time(now), Data: map[string]string{"webhook": w.ID.Hex()}})
	d := &Delivery{ID: ids.NewAt(now), Webhook: w.ID, Event: ev, Type: PingType, Payload: string(body),
		Status: Pending, NextAttempt: &now, Created: now, Updated: now}
	if err := s.Store.InsertDelivery(ctx, tenantID, d); err != nil {
		return nil, err
	}
	return d, nil
}

// Deliveries returns a page of the endpoint's deliveries, newest first.
// Errors: ErrNotFound, Invalid (cursor), Unavailable.
func (s *Service) Deliveries(ctx context.Context, tenantID string, id ids.ID, pg page.Page) ([]Delivery, string, error) {
	if _, err := s.Store.FindByID(ctx, tenantID, id); err != nil {
		return nil, "", err
	}
	return s.Store.Deliveries(ctx, tenantID, id, pg)
}

// Retry queues a failed delivery again, to be sent at once: one more
// attempt, and the schedule's last wait after it.
// Errors: ErrNotFound, ErrDeliveryNotFound, ErrNotRetryable, Unavailable.
func (s *Service) Retry(ctx context.Context, tenantID string, id, delivery ids.ID) (*Delivery, error) {
	if _, err := s.Store.FindByID(ctx, tenantID, id); err != nil {
		return nil, err
	}
	d, err := s.Store.FindDelivery(ctx, tenantID, id, delivery)
	if err != nil {
		return nil, err
	}
	if d.Status != Failed {
		if d.Status == Delivered {
			return nil, errs.E(errs.Conflict, "delivery", "The delivery succeeded; send a test event to try the endpoint.")
		}
		return nil, ErrNotRetryable
	}
	now := clock.Stored(s.Now())
	d.Status, d.NextAttempt, d.Updated = Pending, &now, now
	if err := s.Store.Settle(ctx, tenantID, d); err != nil {
		return nil, err
	}
	return d, nil
}
