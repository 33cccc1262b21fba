package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/tenants"
)

// The retry schedule (docs/EVENTS.md): attempt n+1 follows a failed
// attempt n after Backoff(n), doubling from one minute to at most 12
// hours; after MaxAttempts failed attempts (about 29 hours after the
// first) the delivery is failed. An endpoint whose attempts have all
// failed for DisableAfter is disabled.
const (
	MaxAttempts  = 12
	firstWait    = time.Minute
	maxWait      = 12 * time.Hour
	DisableAfter = 72 * time.Hour
	// Lease is how long a claimed attempt belongs to its instance by
	// default (webhooks.lease): longer than an attempt (Timeout) and the
	// writes around it.
	Lease = time.Minute
	// batch is how many due deliveries of a tenant one pass reads.
	batch = 100
)

// Backoff is the wait after failed attempt n (1-based).
func Backoff(n int) time.Duration {
	w := firstWait
	for i := 1; i < n && w < maxWait; i++ {
		w *= 2
	}
	return min(w, maxWait)
}

// TenantLister pages through every tenant.
type TenantLister interface {
	Find(ctx context.Context, p page.Page) ([]tenants.Tenant, string, error)
}

// Dispatcher sends due deliveries: the background job every instance
// runs. Each attempt is sent under a lease claimed in the store, so with
// several instances one sends it at a time.
type Dispatcher struct {
	Service *Service
	Tenants TenantLister
	Audit   *audit.Log
	Client  *http.Client
	Logger  *zap.Logger
	// Lease is how long a claimed attempt belongs to this instance; 0 is
	// Lease. The attempt (reading its endpoint, sending, reading the
	// answer) is cut off when its lease ends, so it never outlasts it.
	Lease time.Duration
}

// Run sends every due delivery of every tenant once. A tenant that fails
// does not stop the others; the errors come back joined.
func (d *Dispatcher) Run(ctx context.Context) error {
	var errList []error
	pg := page.Page{Limit: page.MaxLimit}
	for {
		list, next, err := d.Tenants.Find(ctx, pg)
		if err != nil {
			return errors.Join(append(errList, err)...)
		}
		for _, t := range list {
			if t.Status != tenants.Active {
				continue
			}
			if err := d.RunTenant(ctx, t.ID); err != nil {
				errList = append(errList, fmt.Errorf("tenant %s: %w", t.ID, err))
			}
		}
		if next == "" || ctx.Err() != nil {
			return errors.Join(errList...)
		}
		pg.Cursor = next
	}
}

// RunTenant sends tenant's due deliveries, a batch at a time for as long
// as batches come back full and this instance wins some of them, so a
// backlog drains at the pace of the store and the endpoint rather than
// one batch per webhooks.interval.
func (d *Dispatcher) RunTenant(ctx context.Context, tenantID string) error {
	s := d.Service
	for {
		due, err := s.Store.Due(ctx, tenantID, clock.Stored(s.Now()), batch)
		if err != nil {
			return err
		}
		won := 0
		for i := range due {
			if ctx.Err() != nil {
				return nil
			}
			ok, err := d.attempt(ctx, tenantID, &due[i])
			if err != nil {
				return err
			}
			if ok {
				won++
			}
		}
		if len(due) < batch || won == 0 {
			return nil
		}
	}
}

// attempt sends del once, if its lease is won, and writes the outcome. It
// reports whether the lease was won.
func (d *Dispatcher) attempt(ctx context.Context, tenantID string, del *Delivery) (bool, error) {
	s := d.Service
	lease := cmp.Or(d.Lease, Lease)
	now := clock.Stored(s.Now())
	won, err := s.Store.Claim(ctx, tenantID, del, now, now.Add(lease))
	if err != nil || !won {
		return false, err
	}
	// Past its lease another instance may claim the attempt: it ends
	// here, and only its outcome is written after.
	leased, cancel := context.WithTimeout(ctx, lease)
	defer cancel()
	w, err := s.Store.FindByID(leased, tenantID, del.Webhook)
	switch {
	case errors.Is(err, ErrNotFound):
		return true, d.settle(ctx, tenantID, del, nil, 0, "The endpoint was deleted.", true)
	case err != nil:
		return true, err
	case w.Status != Enabled:
		return true, d.settle(ctx, tenantID, del, nil, 0, "The endpoint is disabled.", true)
	}
	code, msg := d.send(leased, w, del)
	return true, d.settle(ctx, tenantID, del, w, code, msg, false)
}

// send posts del to w and returns the answer's status code (0 when none
// came) and, on failure, why.
func (d *Dispatcher) send(ctx context.Context, w *Webhook, del *Delivery) (int, string) {
	key, err := d.Service.Keys.Open(sealPurpose, w.Secret)
	if err != nil {
		return 0, "The signing secret cannot be read with this installation's keys."
	}
	ts := d.Service.Now()
	body := []byte(del.Payload)
	sig, err := Sign(string(key), del.ID.Hex(), ts, body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "The URL cannot be requested."
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Latchkey-Webhooks")
	req.Header.Set("webhook-id", del.ID.Hex())
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.Client.Do(req)
	if err != nil {
		if errors.Is(err, ErrRefusedAddress) {
			return 0, "Refused: the endpoint's address is loopback, private, link-local or metadata."
		}
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the url.Error repeats the URL
		}
		return 0, "No answer: " + err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
	_ = resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, "The endpoint answered " + strconv.Itoa(resp.StatusCode) + "."
}

// settle writes the outcome of an attempt of del (to w, nil when it was
// not sent) and the endpoint's health.
func (d *Dispatcher) settle(ctx context.Context, tenantID string, del *Delivery, w *Webhook, code int, msg string, final bool) error {
	s := d.Service
	now := clock.Stored(s.Now())
	del.Attempts++
	del.LastStatus, del.LastError, del.Updated = code, msg, now
	switch {
	case msg == "":
		del.Status, del.NextAttempt = Delivered, nil
	case final || del.Attempts >= MaxAttempts:
		del.Status, del.NextAttempt = Failed, nil
	default:
		next := now.Add(Backoff(del.Attempts))
		del.Status, del.NextAttempt = Pending, &next
	}
	if err := s.Store.Settle(ctx, tenantID, del); err != nil {
		return err
	}
	if w == nil {
		return nil
	}
	return d.health(ctx, tenantID, w, msg == "", now)
}

// health records an attempt's outcome on its endpoint: a success ends a
// run of failures; a failure starts one, or disables the endpoint when the
// run has lasted DisableAfter (an audit record, so an event, says so).
func (d *Dispatcher) health(ctx context.Context, tenantID string, w *Webhook, ok bool, now time.Time) error {
	s := d.Service
	switch {
	case ok && w.FailingSince != nil:
		return s.Store.SetFailing(ctx, tenantID, w.ID, nil)
	case ok:
		return nil
	case w.FailingSince == nil:
		return s.Store.SetFailing(ctx, tenantID, w.ID, &now)
	case now.Sub(*w.FailingSince) < DisableAfter:
		return nil
	}
	w.Status, w.Updated = Disabled, now
	if err := s.Store.Replace(ctx, tenantID, w); err != nil {
		return err
	}
	d.Logger.Warn("webhook disabled after failing for 3 days", zap.String("tenant", tenantID), zap.String("webhook", w.ID.Hex()))
	d.Audit.Write(ctx, tenantID, audit.Record{Action: "webhook.disabled", Target: w.ID.Hex(), Outcome: audit.Success,
		Detail: "failing since " + clock.Format(*w.FailingSince)})
	return nil
}
