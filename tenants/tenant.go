// Package tenants is the tenant registry: tenants live in the control
// database, each has a database of its own (lk_<id>), and platform owners
// manage them through /api/v1/tenants.
package tenants

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/ratelimit"
)

// Status of a tenant.
const (
	Active   = "active"
	Disabled = "disabled"
	// Creating marks a tenant whose first owner and app token are being
	// made; it authenticates nothing until it becomes active.
	Creating = "creating"
)

// PlatformSlug is the slug of the tenant made at initialisation.
const PlatformSlug = "platform"

// Tenant is a customer organisation.
type Tenant struct {
	ID       string    `bson:"_id" json:"id"`
	Slug     string    `bson:"slug" json:"slug"`
	Name     string    `bson:"name" json:"name"`
	Status   string    `bson:"status" json:"status"`
	Platform bool      `bson:"platform,omitempty" json:"platform"`
	Settings Settings  `bson:"settings" json:"settings"`
	Created  time.Time `bson:"created" json:"created"`
	Updated  time.Time `bson:"updated" json:"updated"`
}

// MarshalJSON writes t as answers show it, its times as clock.Time. (A
// type embedding Tenant would marshal as Tenant alone: none does.)
func (t Tenant) MarshalJSON() ([]byte, error) {
	type fields Tenant
	return json.Marshal(struct {
		fields
		Created clock.Time `json:"created"`
		Updated clock.Time `json:"updated"`
	}{fields(t), clock.Time(t.Created), clock.Time(t.Updated)})
}

// Active reports whether the tenant's tokens work.
func (t *Tenant) Active() bool { return t.Status == Active }

// Settings are a tenant's token lifetimes (in seconds), signup and lockout
// rules.
type Settings struct {
	AppTokenTTL     int64 `bson:"app_token_ttl" json:"app_token_ttl"`
	UserTokenTTL    int64 `bson:"user_token_ttl" json:"user_token_ttl"`
	LongTokenTTL    int64 `bson:"long_token_ttl" json:"long_token_ttl"`
	OBOTokenTTL     int64 `bson:"obo_token_ttl" json:"obo_token_ttl"`
	RefreshTokenTTL int64 `bson:"refresh_token_ttl" json:"refresh_token_ttl"`
	MaxTokenTTL     int64 `bson:"max_token_ttl" json:"max_token_ttl"`
	AllowSignup     bool  `bson:"allow_signup" json:"allow_signup"`
	LockoutAttempts int   `bson:"lockout_attempts" json:"lockout_attempts"`
	LockoutWindow   int64 `bson:"lockout_window" json:"lockout_window"`
	LockoutDuration int64 `bson:"lockout_duration" json:"lockout_duration"`
	// AppTokenRateLimit is the rate limit of the tenant's new app tokens
	//; nil, the default, is none.
	AppTokenRateLimit *ratelimit.Policy `bson:"app_token_rate_limit,omitempty" json:"app_token_rate_limit"`
}

const (
	day  = int64(24 * 60 * 60)
	year = 365 * day
)

// MaxAppTokenTTL bounds an app token's lifetime (250 years), so an expiry
// always fits a time.Time computed with time.Duration.
const MaxAppTokenTTL = 250 * year

// DefaultSettings are a new tenant's settings (docs/API.md, Tenants).
func DefaultSettings() Settings {
	return Settings{
		AppTokenTTL:     200 * year,
		UserTokenTTL:    day,
		LongTokenTTL:    30 * day,
		OBOTokenTTL:     day,
		RefreshTokenTTL: 30 * day,
		MaxTokenTTL:     90 * day,
		AllowSignup:     false,
		LockoutAttempts: 5,
		LockoutWindow:   15 * 60,
		LockoutDuration: 15 * 60,
	}
}

// SettingsPatch changes some settings; nil fields stay as they are.
type SettingsPatch struct {
	AppTokenTTL     *int64 `json:"app_token_ttl"`
	UserTokenTTL    *int64 `json:"user_token_ttl"`
	LongTokenTTL    *int64 `json:"long_token_ttl"`
	OBOTokenTTL     *int64 `json:"obo_token_ttl"`
	RefreshTokenTTL *int64 `json:"refresh_token_ttl"`
	MaxTokenTTL     *int64 `json:"max_token_ttl"`
	AllowSignup     *bool  `json:"allow_signup"`
	LockoutAttempts *int   `json:"lockout_attempts"`
	LockoutWindow   *int64 `json:"lockout_window"`
	LockoutDuration *int64 `json:"lockout_duration"`
	// AppTokenRateLimit is null (none) or {"limit", "seconds"}; absent
	// leaves it as it is.
	AppTokenRateLimit json.RawMessage `json:"app_token_rate_limit"`
}

// Apply returns s with p's fields applied, or every invalid field at once.
func (p *SettingsPatch) Apply(s Settings) (Settings, error) {
	if p == nil {
		return s, nil
	}
	bad := map[string]string{}
	seconds := func(name string, v *int64, dst *int64, maxV int64) {
		if v == nil {
			return
		}
		if *v < 1 || *v > maxV {
			bad["settings."+name] = fmt.Sprintf("Must be from 1 to %d seconds.", maxV)
			return
		}
		*dst = *v
	}
	seconds("app_token_ttl", p.AppTokenTTL, &s.AppTokenTTL, MaxAppTokenTTL)
	seconds("max_token_ttl", p.MaxTokenTTL, &s.MaxTokenTTL, 10*year)
	seconds("user_token_ttl", p.UserTokenTTL, &s.UserTokenTTL, s.MaxTokenTTL)
	seconds("long_token_ttl", p.LongTokenTTL, &s.LongTokenTTL, s.MaxTokenTTL)
	seconds("obo_token_ttl", p.OBOTokenTTL, &s.OBOTokenTTL, s.MaxTokenTTL)
	seconds("refresh_token_ttl", p.RefreshTokenTTL, &s.RefreshTokenTTL, 10*year)
	seconds("lockout_window", p.LockoutWindow, &s.LockoutWindow, day)
	seconds("lockout_duration", p.LockoutDuration, &s.LockoutDuration, 30*day)
	if p.AllowSignup != nil {
		s.AllowSignup = *p.AllowSignup
	}
	if p.LockoutAttempts != nil {
		if *p.LockoutAttempts < 1 || *p.LockoutAttempts > 100 {
			bad["settings.lockout_attempts"] = "Must be from 1 to 100."
		} else {
			s.LockoutAttempts = *p.LockoutAttempts
		}
	}
	if rl, set, err := ratelimit.Parse(p.AppTokenRateLimit, "settings.app_token_rate_limit"); err != nil {
		e, _ := errs.As(err)
		maps.Copy(bad, e.Fields)
	} else if set {
		s.AppTokenRateLimit = rl
	}
	for name, v := range map[string]int64{"user_token_ttl": s.UserTokenTTL, "long_token_ttl": s.LongTokenTTL, "obo_token_ttl": s.OBOTokenTTL} {
		if _, already := bad["settings."+name]; !already && v > s.MaxTokenTTL {
			bad["settings."+name] = fmt.Sprintf("Must not exceed max_token_ttl (%d seconds).", s.MaxTokenTTL)
		}
	}
	return s, errs.Fields(bad)
}

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}$`)

// ValidSlug reports whether s is a well-formed tenant slug.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// Expiry returns now plus seconds, the way every seconds_until_expire is
// counted: -1 or less means now, which expires at once.
func Expiry(now time.Time, seconds int64) time.Time {
	if seconds < 0 {
		return now
	}
	return now.Add(time.Duration(seconds) * time.Second)
}

// CheckSeconds validates a seconds_until_expire against a maximum and names
// the maximum in the message as people count it ("90 days", not
// "7776000 seconds").
func CheckSeconds(seconds, maxSeconds int64) error {
	if seconds > maxSeconds {
		return errs.E(errs.Invalid, "seconds_until_expire",
			fmt.Sprintf("Must be at most %s (the tenant's maximum).", HumanSeconds(maxSeconds)))
	}
	return nil
}

// HumanSeconds says a number of seconds in the largest whole unit that
// counts it exactly: "90 days", "1 hour", "90 minutes", "61 seconds".
func HumanSeconds(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}} {
		if n != 0 && n%u.size == 0 {
			return plural(n/u.size, u.name)
		}
	}
	return plural(n, "second")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
