package authn

// Credential names the header a verification is about.
type Credential uint8

// The credentials a request carries.
const (
	AppToken  Credential = iota // the App-Token header
	UserToken                   // the user token (Token or Authorization)
)

// CredentialNames are the metric label values of the credentials, indexed
// by Credential.
var CredentialNames = []string{"app_token", "user_token"}

// Outcome is how the verification of one credential ended.
type Outcome uint8

// The outcomes. Malformed strings are refused without a store read; the
// rest (but Missing) looked the token up.
const (
	Verified       Outcome = iota // valid: the request goes on
	Missing                       // no such header
	Malformed                     // not a token string of the right kind (or two different ones)
	Unknown                       // no such token in its tenant (or its hash differs)
	Expired                       // the token has expired
	TenantDisabled                // the token's tenant is disabled
	UserDisabled                  // its user, or the OBO token's issuer, is disabled
	OtherTenant                   // the user token is of another tenant than the App-Token
	StoreError                    // the store could not answer
	// RateLimited: a verified app token beyond its rate limit (observed
	// besides its Verified, so that verified counts every valid token).
	RateLimited
)

// OutcomeNames are the metric label values of the outcomes, indexed by
// Outcome.
var OutcomeNames = []string{"verified", "missing", "malformed", "unknown", "expired",
	"tenant_disabled", "user_disabled", "other_tenant", "error", "rate_limited"}
