package leaks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/access"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/secret"
	"github.com/latchkey/latchkey/tenants"
)

// Handler serves POST /leaks.
type Handler struct {
	Service *Service
	Audit   *audit.Log
}

// Gin context keys of a verified signed report.
const (
	bodyKey  = "leaks.body"
	keyIDKey = "leaks.key_id"
)

var errNotOwner = errs.E(errs.Forbidden, "permission",
	"Only owners of the platform tenant may report leaked tokens without a signature.")

var errNoCredentials = &errs.Error{Code: errs.Unauthorized, Fields: map[string]string{
	authn.AppTokenHeader: "Sign the report (" + KeyIDHeader + ", " + SignatureHeader +
		") or send a platform owner's App-Token and Token.",
	SignatureHeader: "This header is required for a signed report.",
}}

// Register mounts POST /leaks on api. A report that carries a signature
// header is checked against the configured public keys and needs no
// App-Token; any other report goes through user, the middleware that
// authenticates an App-Token and a user token, and must come from a
// platform owner.
func (h *Handler) Register(api gin.IRouter, user gin.HandlerFunc) {
	api.POST("/leaks", h.authenticate(user), httpx.Handle(h.report))
}

func (h *Handler) authenticate(user gin.HandlerFunc) gin.HandlerFunc {
	return httpx.Handle(func(c *gin.Context) error {
		id, sig := c.GetHeader(KeyIDHeader), c.GetHeader(SignatureHeader)
		if id == "" && sig == "" {
			if len(c.Request.Header[authn.AppTokenHeader]) == 0 {
				return errNoCredentials
			}
			user(c) // runs the rest of the chain once the tokens verify
			return nil
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		if err := h.Service.Keys().Verify(id, sig, body); err != nil {
			return err
		}
		c.Set(bodyKey, body)
		c.Set(keyIDKey, id)
		c.Next()
		return nil
	})
}

// report answers a report that authenticate let through. The answer echoes
// every token as sent, a secret: like every /api/v1 answer it carries
// Cache-Control: no-store.
func (h *Handler) report(c *gin.Context) error {
	body, signed := c.Get(bodyKey)
	reporter := "a report signed with key " + c.GetString(keyIDKey)
	if !signed {
		p := authn.From(c)
		if err := p.CheckAdmin(); err != nil {
			return err
		}
		if !p.Can(access.ManageTenants) {
			return errNotOwner
		}
		var err error
		if body, err = readBody(c); err != nil {
			return err
		}
		reporter = "platform owner " + p.Username
	}
	entries, err := parse(body.([]byte))
	if err != nil {
		return err
	}
	results, found, err := h.Service.Expire(c.Request.Context(), entries)
	h.audit(c, found, reporter)
	if err != nil {
		return err
	}
	h.summary(c, len(entries), found, reporter)
	c.JSON(http.StatusOK, results)
	return nil
}

// readBody reads a report body of at most MaxBody bytes.
func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errs.E(errs.TooLarge, "body", fmt.Sprintf("A report must be at most %d bytes; split it.", MaxBody))
	case err != nil:
		return nil, errs.E(errs.Invalid, "body", "The body could not be read.")
	}
	return body, nil
}

var errNotList = errs.E(errs.Invalid, "body",
	`The body must be a JSON array of {"token", "type", "url", "source"} objects.`)

// parse reads a report: a JSON array of entries. It is as strict as every
// other body (httpx.CheckJSON: valid UTF-8 with no lone surrogate escape,
// one value, no name given twice in any object), so a scanner, a proxy and
// Latchkey cannot read one report two ways. Every bad entry is reported at
// once, by its index ("[3].token"); fields other than the four of an entry
// are ignored, so a scanner that adds one is still understood.
func parse(body []byte) ([]Entry, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errNotList
	}
	if err := httpx.CheckJSON(body); err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if b := bytes.TrimSpace(body); b[0] != '[' || json.Unmarshal(b, &list) != nil {
		return nil, errNotList
	}
	if len(list) > MaxEntries {
		return nil, errs.E(errs.TooLarge, "body", fmt.Sprintf("A report may hold at most %d entries; split it.", MaxEntries))
	}
	entries := make([]Entry, len(list))
	bad := map[string]string{}
	for i, raw := range list {
		at := "[" + strconv.Itoa(i) + "]"
		var fields map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
			bad[at] = `Must be an object {"token", "type", "url", "source"}.`
			continue
		}
		e := &entries[i]
		for _, f := range []struct {
			name string
			dst  *string
			max  int
		}{{"token", &e.Token, maxToken}, {"type", &e.Type, maxText}, {"url", &e.URL, maxURL}, {"source", &e.Source, maxText}} {
			if v, ok := fields[f.name]; ok && string(v) != "null" && json.Unmarshal(v, f.dst) != nil {
				bad[at+"."+f.name] = "Must be a string."
			} else if utf8.RuneCountInString(*f.dst) > f.max {
				bad[at+"."+f.name] = "Must be at most " + strconv.Itoa(f.max) + " characters."
			}
		}
		if _, ok := bad[at+".token"]; !ok && e.Token == "" {
			bad[at+".token"] = "This field is required."
		}
	}
	return entries, errs.Fields(bad)
}

// audit records every token found in its tenant's audit log, with where it
// was found and who reported it, never the token itself.
func (h *Handler) audit(c *gin.Context, found []Found, reporter string) {
	var p *access.Principal
	if v, ok := c.Get(authn.PrincipalKey); ok {
		p = v.(*access.Principal)
	}
	for _, f := range found {
		action, what := "token.leak", "user token (its refresh token ended with it)"
		switch f.Kind {
		case secret.App:
			action, what = "app_token.leak", "app token"
		case secret.Refresh:
			what = "refresh token (its whole refresh chain ended)"
		}
		state := "expired now"
		if !f.Live {
			state = "was expired already"
		}
		rec := audit.Event(c, action, f.ID.Hex(), audit.Success)
		if p == nil || p.TenantID != f.TenantID { // the reporter is no user of this tenant
			rec.User, rec.Username, rec.Actor = nil, "", nil
		}
		rec.Detail = fmt.Sprintf("leaked %s found by %s at %s; %s; reported by %s",
			what, orUnknown(f.Entry.Source), orUnknown(f.Entry.URL), state, reporter)
		h.Audit.Write(c.Request.Context(), f.TenantID, rec)
	}
}

// summary records the report in the platform tenant's audit log.
func (h *Handler) summary(c *gin.Context, entries int, found []Found, reporter string) {
	t, err := h.Service.Tenants.Find(c.Request.Context(), tenants.PlatformSlug)
	if err != nil {
		return // the per-tenant records are written; a summary is not worth an error
	}
	live := 0
	for _, f := range found {
		if f.Live {
			live++
		}
	}
	rec := audit.Event(c, "leaks.report", "", audit.Success)
	rec.Detail = fmt.Sprintf("%d entries, %d Latchkey tokens found, %d of them live and expired now; reported by %s",
		entries, len(found), live, reporter)
	h.Audit.Write(c.Request.Context(), t.ID, rec)
}

func orUnknown(s string) string {
	if s == "" {
		return "(not given)"
	}
	return s
}
