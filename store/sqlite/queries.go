package sqlite

import (
	"strings"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// Every statement the engine runs is a constant here (named q…) or is made
// by a builder below (…SQL) from the shape of a filter, so plan_test.go can
// run EXPLAIN QUERY PLAN on each of them and fail on a scan of a table.
// Times are INTEGER Unix milliseconds, ids 12-byte BLOBs.

// The control file: tenants.
const (
	tenantCols = `id, slug, name, status, platform, app_token_ttl, user_token_ttl, long_token_ttl,
		obo_token_ttl, refresh_token_ttl, max_token_ttl, allow_signup, lockout_attempts,
		lockout_window, lockout_duration, created, updated, app_token_rate_limit, app_token_rate_seconds`

	qTenantInsert = `INSERT INTO tenants (` + tenantCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	qTenantByID   = `SELECT ` + tenantCols + ` FROM tenants WHERE id = ?`
	qTenantBySlug = `SELECT ` + tenantCols + ` FROM tenants WHERE slug = ?`
	// qTenantFirst reads the first page in slug order: the unique slug
	// index, read from its start and stopped by the LIMIT.
	qTenantFirst   = `SELECT ` + tenantCols + ` FROM tenants ORDER BY slug LIMIT ?`
	qTenantAfter   = `SELECT ` + tenantCols + ` FROM tenants WHERE slug > ? ORDER BY slug LIMIT ?`
	qTenantReplace = `UPDATE tenants SET slug = ?, name = ?, status = ?, platform = ?, app_token_ttl = ?,
		user_token_ttl = ?, long_token_ttl = ?, obo_token_ttl = ?, refresh_token_ttl = ?, max_token_ttl = ?,
		allow_signup = ?, lockout_attempts = ?, lockout_window = ?, lockout_duration = ?, created = ?,
		updated = ?, app_token_rate_limit = ?, app_token_rate_seconds = ? WHERE id = ?`
	qTenantDelete = `DELETE FROM tenants WHERE id = ?`
)

// Users.
const (
	userCols = `id, username, username_key, email, role, status, password_hash, created, updated`

	qUserInsert = `INSERT INTO users (id, username, username_key, email, email_key, role, status,
		password_hash, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)`
	qUserByID       = `SELECT ` + userCols + ` FROM users WHERE id = ?`
	qUserByUsername = `SELECT ` + userCols + ` FROM users WHERE username_key = ?`
	qUserReplace    = `UPDATE users SET username = ?, username_key = ?, email = ?, email_key = ?, role = ?,
		status = ?, password_hash = ?, created = ?, updated = ? WHERE id = ?`
	qUserDelete = `DELETE FROM users WHERE id = ?`
	// qUserIsOwner reads whether user ?3 is an active owner (role ?1,
	// status ?2); qUserOtherOwner finds an active owner other than ?3. Both
	// run in the transaction that keeps a tenant's last active owner
	// (userStore.keepOwner).
	qUserIsOwner    = `SELECT role = ?1 AND status = ?2 FROM users WHERE id = ?3`
	qUserOtherOwner = `SELECT 1 FROM users WHERE role = ?1 AND status = ?2 AND id <> ?3 LIMIT 1`
)

// userFindSQL returns the query of a page of users matching f, after the
// id after (if any), in id order. Role and status page on their (column,
// id) indexes. A Q filter is two prefix ranges, of username_key and of
// email_key (the lowercased address), each on its index, whose matches are
// sorted by id: the work grows with the matches of the prefix, not with
// the users. With Q, role and status are only checked on those matches
// (the unary + keeps the planner off their indexes, which would read every
// user of a role to find a few names).
func userFindSQL(f users.Filter, after *ids.ID, limit int) (string, []any) {
	var w where
	col := ""
	if f.Q != "" {
		col = "+"
	}
	if f.Role != "" {
		w.add(col+`role = ?`, f.Role)
	}
	if f.Status != "" {
		w.add(col+`status = ?`, f.Status)
	}
	if f.Q != "" {
		name, mail := users.UsernameKey(f.Q), strings.ToLower(f.Q)
		w.add(`(username_key >= ? AND username_key < ? OR email_key >= ? AND email_key < ?)`,
			name, prefixEnd(name), mail, prefixEnd(mail))
	}
	if after != nil {
		w.add(`id > ?`, after[:])
	}
	return `SELECT ` + userCols + ` FROM users` + w.sql() + ` ORDER BY id LIMIT ?`, append(w.args, limit)
}

// App tokens.
const (
	appTokenCols = `id, hash, name, created, created_by, expires, last_used, ended_by, rate_limit, rate_seconds, scopes, external_id, meta, last, rotated_from`

	qAppTokenInsert = `INSERT INTO app_tokens (` + appTokenCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	// qAppTokenChange sets the name, scopes, external id, meta and rate
	// limit of token ?5 if it is live at ?6; a NULL argument keeps a column
	// (scopes: ?7 says whether ?2 is the change, and ?8 whether ?9/?10 are
	// the rate limit, since NULL also means unrestricted and no limit).
	qAppTokenChange = `UPDATE app_tokens SET name = coalesce(?1, name),
		scopes = CASE WHEN ?7 THEN ?2 ELSE scopes END, external_id = coalesce(?3, external_id),
		meta = coalesce(?4, meta),
		rate_limit = CASE WHEN ?8 THEN ?9 ELSE rate_limit END,
		rate_seconds = CASE WHEN ?8 THEN ?10 ELSE rate_seconds END
		WHERE id = ?5 AND expires > ?6`
	qAppTokenByID = `SELECT ` + appTokenCols + ` FROM app_tokens WHERE id = ?`
	// qAppTokenFirst reads the first page newest first: the primary key
	// read from its end and stopped by the LIMIT.
	qAppTokenFirst = `SELECT ` + appTokenCols + ` FROM app_tokens ORDER BY id DESC LIMIT ?`
	qAppTokenAfter = `SELECT ` + appTokenCols + ` FROM app_tokens WHERE id < ? ORDER BY id DESC LIMIT ?`
	// qAppTokenRedate sets token ?2's expiry to ?1 if it is live at ?3:
	// expired is final, and the condition in the one statement decides it
	// against a concurrent end. A token in a rotation's grace (live with a
	// reason stored) may only be moved earlier.
	qAppTokenRedate = `UPDATE app_tokens SET expires = ?1 WHERE id = ?2 AND expires > ?3
		AND (ended_by = '' OR expires >= ?1)`
	// qAppTokenRotateEnd ends token ?2 at the end of a rotation's grace
	// ?1 (never later than it expires) if it is live at ?3, storing the
	// reason ?4 ahead of time.
	qAppTokenRotateEnd = `UPDATE app_tokens SET expires = min(expires, ?1), ended_by = ?4
		WHERE id = ?2 AND expires > ?3`
	// qAppTokenEnd ends token ?2 at ?1 (never later than it expires) and
	// records the reason ?4 if it was live at ?3 (SET reads the old row).
	qAppTokenEnd = `UPDATE app_tokens SET expires = min(expires, ?1),
		ended_by = CASE WHEN expires > ?3 THEN ?4 ELSE ended_by END WHERE id = ?2`
	// qAppTokenEndKeep is qAppTokenEnd unless that leaves no token live at
	// ?5 (apptokens.KeepLive): it applies when the token was not live, or
	// when another token is. One statement, so concurrent calls cannot
	// both pass the check.
	qAppTokenEndKeep = qAppTokenEnd + ` AND
		(expires <= ?5 OR EXISTS (SELECT 1 FROM app_tokens WHERE expires > ?5 AND id <> ?2))`
	qAppTokenDelete = `DELETE FROM app_tokens WHERE id = ?`
	// qAppTokenDeleteKeep deletes token ?1 unless that leaves no token live
	// at ?2, in one statement as qAppTokenEndKeep.
	qAppTokenDeleteKeep = `DELETE FROM app_tokens WHERE id = ?1 AND
		(expires <= ?2 OR EXISTS (SELECT 1 FROM app_tokens WHERE expires > ?2 AND id <> ?1))`
	// qAppTokenPurge deletes up to ?2 tokens that expired before ?1.
	qAppTokenPurge = `DELETE FROM app_tokens WHERE id IN
		(SELECT id FROM app_tokens WHERE expires < ?1 LIMIT ?2)`
	qAppTokenLastUsed = `UPDATE app_tokens SET last_used = ?1
		WHERE id = ?2 AND (last_used IS NULL OR last_used < ?1)`
)

// User tokens.
const (
	tokenCols = `id, hash, refresh_hash, refresh_expires, kind, user_id, actor_id, app_token_id, chain,
		parent, name, created, expires, last_used, lifetime, ended_by, scopes, last, rotated_from`

	qTokenInsert   = `INSERT INTO tokens (` + tokenCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	qTokenByID     = `SELECT ` + tokenCols + ` FROM tokens WHERE id = ?`
	qTokenHasChild = `SELECT 1 FROM tokens WHERE parent = ? LIMIT 1`
	// qTokenRedate sets token ?2's expiry to ?1 if it is live at ?3, as
	// qAppTokenRedate (a token in a rotation's grace only moves earlier);
	// its refresh token stays as it is.
	qTokenRedate = `UPDATE tokens SET expires = ?1 WHERE id = ?2 AND expires > ?3
		AND (ended_by = '' OR expires >= ?1)`
	// qTokenRotateEnd ends token ?2 at the end of a rotation's grace ?1,
	// as qAppTokenRotateEnd (a personal token has no refresh token).
	qTokenRotateEnd = `UPDATE tokens SET expires = min(expires, ?1), ended_by = ?4
		WHERE id = ?2 AND expires > ?3`
	// tokenEnd moves a token's expiry and refresh expiry back to ?1 (min
	// of NULL is NULL: a token without a refresh token keeps none) and
	// records the reason ?2 if the token was live at ?1 (SET reads the old
	// row, so the first reason stands).
	tokenEnd = `UPDATE tokens SET expires = min(expires, ?1), refresh_expires = min(refresh_expires, ?1),
		ended_by = CASE WHEN expires > ?1 THEN ?2 ELSE ended_by END WHERE `
	// qTokenEnd ends token ?3 at ?1 for the reason ?2.
	qTokenEnd = tokenEnd + `id = ?3`
	// The Expire statements: the tokens a selector names whose token or
	// refresh token is live at ?1 end at ?1 for the reason ?2.
	tokenLive      = ` AND (expires > ?1 OR refresh_expires > ?1)`
	qTokenExpUser  = tokenEnd + `user_id = ?3 AND id <> ?4` + tokenLive
	qTokenExpChain = tokenEnd + `chain = ?3` + tokenLive
	qTokenExpActor = tokenEnd + `actor_id = ?3` + tokenLive
	qTokenDelete   = `DELETE FROM tokens WHERE id = ?`
	// qTokenPurge deletes up to ?2 tokens whose token and refresh token
	// expired before ?1.
	qTokenPurge = `DELETE FROM tokens WHERE id IN (SELECT id FROM tokens
		WHERE expires < ?1 AND (refresh_expires IS NULL OR refresh_expires < ?1) LIMIT ?2)`
	qTokenLastUsed = `UPDATE tokens SET last_used = ?1
		WHERE id = ?2 AND (last_used IS NULL OR last_used < ?1)`
	tokenFind = `SELECT ` + tokenCols + ` FROM tokens`
)

// The scope catalog (control file), and the holders of a scope in a
// tenant's file: a live app token or user token whose row token_scopes
// names with the scope (rows of ended or purged tokens are skipped).
const (
	scopeCols = `name, description, created, updated`
	qScopePut = `INSERT INTO scopes (` + scopeCols + `) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (name) DO UPDATE SET description = ?2, updated = ?4`
	qScopeByName = `SELECT ` + scopeCols + ` FROM scopes WHERE name = ?`
	qScopeFirst  = `SELECT ` + scopeCols + ` FROM scopes ORDER BY name LIMIT ?`
	qScopeAfter  = `SELECT ` + scopeCols + ` FROM scopes WHERE name > ? ORDER BY name LIMIT ?`
	qScopeDelete = `DELETE FROM scopes WHERE name = ?`
	qScopeHeld   = `SELECT 1 FROM token_scopes s WHERE s.scope = ?1 AND
		(EXISTS (SELECT 1 FROM app_tokens a WHERE a.id = s.token_id AND a.expires > ?2) OR
		 EXISTS (SELECT 1 FROM tokens t WHERE t.id = s.token_id AND t.expires > ?2)) LIMIT 1`
)

// Lockout claims.
const (
	qClaimInsert  = `INSERT INTO claims (id, expires, until) VALUES (?,?,?)`
	qClaimByID    = `SELECT id, expires, until FROM claims WHERE id = ?`
	qClaimReplace = `UPDATE claims SET expires = ?, until = ? WHERE id = ? AND expires = ?`
	qClaimDelete  = `DELETE FROM claims WHERE id = ?`
	// qClaimDeleteRange deletes the claims whose id is in [?1, ?2): a
	// prefix's range of the primary key.
	qClaimDeleteRange = `DELETE FROM claims WHERE id >= ?1 AND id < ?2`
	// qClaimPurge deletes up to ?2 claims that stopped mattering before ?1.
	qClaimPurge = `DELETE FROM claims WHERE id IN (SELECT id FROM claims WHERE expires < ?1 LIMIT ?2)`
)

// Audit.
const (
	auditCols    = `id, at, action, user_id, username, actor_id, target, ip, request_id, outcome, detail`
	qAuditInsert = `INSERT INTO audit (` + auditCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?)`
)

// tokenFindSQL returns the query of a page of user tokens matching f (Active
// judged at now, in Unix ms), after the id after (if any), newest first.
// User, kind, or both page on their (columns…, id) index. An Active filter
// alone pages on the primary key, skipping the tokens that do not match:
// newest first, live tokens come first (a page of them reads little more
// than the page), and a page of expired ones skips the live ones, which
// are as many as were made within a token lifetime, not all there are.
func tokenFindSQL(f usertokens.Filter, now int64, after *ids.ID, limit int) (string, []any) {
	var w where
	if f.User != nil {
		w.add(`user_id = ?`, f.User[:])
	}
	if f.Kind != "" {
		w.add(`kind = ?`, f.Kind)
	}
	if f.Active != nil {
		if *f.Active {
			w.add(`expires > ?`, now)
		} else {
			w.add(`expires <= ?`, now)
		}
	}
	if after != nil {
		w.add(`id < ?`, after[:])
	}
	return tokenFind + w.sql() + ` ORDER BY id DESC LIMIT ?`, append(w.args, limit)
}

// auditFindSQL returns the query of a page of audit records matching f,
// after the id after (if any), newest first. Record ids are made from their
// time, so Since is also a lower bound of id. The User filter matches the
// user or the actor: a UNION of the newest matches on each of the two
// indexes, each stopped at the LIMIT, so no more than two pages are sorted.
func auditFindSQL(f audit.Filter, after *ids.ID, limit int) (string, []any) {
	var w where
	if f.Action != "" {
		w.add(`action = ?`, f.Action)
	}
	if f.Since != nil {
		floor := ids.Floor(*f.Since)
		w.add(`at >= ? AND id >= ?`, f.Since.UnixMilli(), floor[:])
	}
	if after != nil {
		w.add(`id < ?`, after[:])
	}
	if f.User == nil {
		return `SELECT ` + auditCols + ` FROM audit` + w.sql() + ` ORDER BY id DESC LIMIT ?`, append(w.args, limit)
	}
	one := func(col string) string {
		return `SELECT * FROM (SELECT ` + auditCols + ` FROM audit WHERE ` + col + ` = ?` + w.and() +
			` ORDER BY id DESC LIMIT ?)`
	}
	var args []any
	args = append(args, f.User[:])
	args = append(args, w.args...)
	args = append(args, limit, f.User[:])
	args = append(args, w.args...)
	args = append(args, limit, limit)
	return one("user_id") + ` UNION ` + one("actor_id") + ` ORDER BY id DESC LIMIT ?`, args
}

// where collects the conditions of a query and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// sql is the WHERE clause, "" without conditions.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, ` AND `)
}

// and is the conditions as further terms of a WHERE clause.
func (w *where) and() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` AND ` + strings.Join(w.conds, ` AND `)
}

// prefixEnd returns the smallest string above every string that starts
// with p (in SQLite's byte order), so prefix p is the range [p, end).
// UTF-8 has no 0xff byte, so raising p's last byte always gives it.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\xff"
}

// Webhooks and deliveries.
const (
	webhookCols  = `id, url, events, description, status, secret, created, updated, created_by, failing_since`
	deliveryCols = `id, webhook, event, type, payload, status, attempts, last_status, last_error, next_attempt, created, updated`

	qWebhookInsert  = `INSERT INTO webhooks (` + webhookCols + `) VALUES (?,?,?,?,?,?,?,?,?,?)`
	qWebhookByID    = `SELECT ` + webhookCols + ` FROM webhooks WHERE id = ?`
	qWebhookEnabled = `SELECT ` + webhookCols + ` FROM webhooks WHERE status = 'enabled' ORDER BY id`
	qWebhookFirst   = `SELECT ` + webhookCols + ` FROM webhooks ORDER BY id LIMIT ?`
	qWebhookAfter   = `SELECT ` + webhookCols + ` FROM webhooks WHERE id > ? ORDER BY id LIMIT ?`
	qWebhookReplace = `UPDATE webhooks SET url = ?, events = ?, description = ?, status = ?, updated = ?, failing_since = ? WHERE id = ?`
	qWebhookFailing = `UPDATE webhooks SET failing_since = ? WHERE id = ?`
	qWebhookDelete  = `DELETE FROM webhooks WHERE id = ?`

	qDeliveryInsert    = `INSERT INTO deliveries (` + deliveryCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`
	qDeliveryByID      = `SELECT ` + deliveryCols + ` FROM deliveries WHERE id = ? AND webhook = ?`
	qDeliveryFirst     = `SELECT ` + deliveryCols + ` FROM deliveries WHERE webhook = ? ORDER BY id DESC LIMIT ?`
	qDeliveryAfter     = `SELECT ` + deliveryCols + ` FROM deliveries WHERE webhook = ? AND id < ? ORDER BY id DESC LIMIT ?`
	qDeliveryDue       = `SELECT ` + deliveryCols + ` FROM deliveries WHERE status = 'pending' AND next_attempt <= ? ORDER BY next_attempt LIMIT ?`
	qDeliveryClaim     = `UPDATE deliveries SET lease_until = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND lease_until <= ?`
	qDeliverySettle    = `UPDATE deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt = ?, updated = ?, lease_until = 0 WHERE id = ?`
	qDeliveryOfWebhook = `DELETE FROM deliveries WHERE webhook = ?`
)
