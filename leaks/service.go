// Package leaks takes reports of leaked tokens from secret scanners
// (POST /api/v1/leaks): GitHub's secret scanning partner program signs its
// reports with ECDSA P-256 keys the operator configures; other scanners
// report as a platform owner. Every live Latchkey token a report names, of
// any tenant, expires at once and is audited in its tenant.
package leaks

import (
	"context"
	"sync/atomic"

	"github.com/latchkey/latchkey/apptokens"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
	"github.com/latchkey/latchkey/usertokens"
)

// Limits of one report.
const (
	// MaxEntries is the most entries one report may hold.
	MaxEntries = 1000
	// MaxBody is the largest report body, in bytes: MaxEntries entries of
	// a token and a URL of 300 characters (about 460 bytes each) fit twice.
	MaxBody = 1 << 20
	// maxToken, maxURL and maxText bound an entry's fields, in characters.
	maxToken = 1024
	maxURL   = 4096
	maxText  = 200
)

// Entry is one secret a scanner found, as the secret scanning partner
// program reports it.
type Entry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// The labels of a result, the partner program's words.
const (
	TruePositive  = "true_positive"  // a live Latchkey token, expired now
	FalsePositive = "false_positive" // anything else
)

// Result is the answer about one entry: the token as sent, its type as
// sent and whether it was a live Latchkey token.
type Result struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// Found is a Latchkey token record a report named.
type Found struct {
	Entry    *Entry
	TenantID string
	Kind     secret.Kind
	ID       ids.ID // the record's public id
	// Live is true when the string worked until the report expired it.
	Live bool
}

// Service expires reported tokens.
type Service struct {
	Tenants   *tenants.Service
	AppTokens *apptokens.Service
	Tokens    *usertokens.Service
	// Keyring checks the tags of reported token strings (the scanners'
	// public keys are Keys).
	Keyring *secret.Keyring
	// Observe, when set, is told of every entry's answer: the kind of
	// Latchkey token it names ("" for anything else) and its label.
	Observe func(kind secret.Kind, label string)

	keys atomic.Pointer[Keys]
}

// SetKeys replaces the public keys signed reports are checked against; nil
// accepts no signed report. Safe while requests are served.
func (s *Service) SetKeys(k *Keys) { s.keys.Store(k) }

// Keys returns the public keys signed reports are checked against.
func (s *Service) Keys() *Keys { return s.keys.Load() }

// Expire expires every live Latchkey token the entries name and returns the
// answer for each entry (in order) and the records found. Strings that are
// not Latchkey tokens, or name no record of an existing tenant, are false
// positives. A string given twice is handled once. On a store error it
// stops and returns what it found so far with the error (the caller audits
// those; a retried report finds them expired). Errors: Unavailable.
func (s *Service) Expire(ctx context.Context, entries []Entry) ([]Result, []Found, error) {
	results := make([]Result, len(entries))
	var found []Found
	type answer struct {
		kind  secret.Kind
		label string
	}
	seen := map[string]answer{}
	tenantOK := map[string]bool{}
	for i := range entries {
		e := &entries[i]
		a, ok := seen[e.Token]
		if !ok {
			a.label = FalsePositive
			f, err := s.expire(ctx, e, tenantOK)
			if err != nil {
				return nil, found, err
			}
			if f != nil {
				found = append(found, *f)
				a.kind = f.Kind
				if f.Live {
					a.label = TruePositive
				}
			}
			seen[e.Token] = a
		}
		results[i] = Result{TokenRaw: e.Token, TokenType: e.Type, Label: a.label}
		if s.Observe != nil {
			s.Observe(a.kind, a.label)
		}
	}
	return results, found, nil
}

// expire expires the token of e, if it is one, and returns its record, or
// nil when e names no record. tenantOK remembers which tenants exist.
func (s *Service) expire(ctx context.Context, e *Entry, tenantOK map[string]bool) (*Found, error) {
	tok, ok := s.Keyring.Parse(e.Token)
	if !ok {
		return nil, nil
	}
	exists, seen := tenantOK[tok.TenantID]
	if !seen {
		_, err := s.Tenants.FindByID(ctx, tok.TenantID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		exists = err == nil
		tenantOK[tok.TenantID] = exists
	}
	if !exists {
		return nil, nil
	}
	f := &Found{Entry: e, TenantID: tok.TenantID, Kind: tok.Kind}
	var err error
	if tok.Kind == secret.App {
		var t *apptokens.Token
		if t, f.Live, err = s.AppTokens.ExpireLeaked(ctx, tok, e.Token); t != nil {
			f.ID = t.ID
		}
	} else {
		var t *usertokens.Token
		if t, f.Live, err = s.Tokens.ExpireLeaked(ctx, tok, e.Token); t != nil {
			f.ID = t.ID
		}
	}
	switch {
	case errs.Is(err, errs.NotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return f, nil
}
