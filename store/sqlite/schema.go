package sqlite

import (
	"context"
	"fmt"
	"strconv"
)

// schema is the list of migrations of one kind of file: step i takes a
// file from version i to version i+1, and a file's version is kept in
// PRAGMA user_version. A release that changes a table appends a step; it
// never edits one that has shipped.
type schema struct {
	name  string
	steps []string
}

// controlSchema is the control file's: the tenant registry and the
// installation's keys.
var controlSchema = schema{name: "control", steps: []string{
	// 1: the tenant registry, each tenant's settings in typed columns.
	`CREATE TABLE tenants (
		id                TEXT PRIMARY KEY NOT NULL,
		slug              TEXT NOT NULL UNIQUE,
		name              TEXT NOT NULL,
		status            TEXT NOT NULL,
		platform          INTEGER NOT NULL,
		app_token_ttl     INTEGER NOT NULL,
		user_token_ttl    INTEGER NOT NULL,
		long_token_ttl    INTEGER NOT NULL,
		obo_token_ttl     INTEGER NOT NULL,
		refresh_token_ttl INTEGER NOT NULL,
		max_token_ttl     INTEGER NOT NULL,
		allow_signup      INTEGER NOT NULL,
		lockout_attempts  INTEGER NOT NULL,
		lockout_window    INTEGER NOT NULL,
		lockout_duration  INTEGER NOT NULL,
		created           INTEGER NOT NULL,
		updated           INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 2: the installation's secrets (token signing and the like).
	`CREATE TABLE keys (
		id      TEXT PRIMARY KEY NOT NULL,
		secret  BLOB NOT NULL,
		created INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 3: the tenant's default rate limit of new app tokens;
	// NULL (as on every older row) is none.
	`ALTER TABLE tenants ADD COLUMN app_token_rate_limit INTEGER;
	ALTER TABLE tenants ADD COLUMN app_token_rate_seconds INTEGER;`,
	// 4: the scope catalog, installation-wide.
	`CREATE TABLE scopes (
		name        TEXT PRIMARY KEY NOT NULL,
		description TEXT NOT NULL,
		created     INTEGER NOT NULL,
		updated     INTEGER NOT NULL
	) WITHOUT ROWID;`,
}}

// tenantSchema is a tenant file's. Every query of queries.go has an index
// here (plan_test.go checks it).
var tenantSchema = schema{name: "tenant", steps: []string{
	// 1: users, app tokens, user tokens, lockout claims, audit.
	`CREATE TABLE users (
		id            BLOB PRIMARY KEY NOT NULL,
		username      TEXT NOT NULL,
		username_key  TEXT NOT NULL UNIQUE,
		email         TEXT NOT NULL,
		email_key     TEXT NOT NULL,
		role          TEXT NOT NULL,
		status        TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		created       INTEGER NOT NULL,
		updated       INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX users_role ON users (role, id);
	CREATE INDEX users_status ON users (status, id);
	CREATE INDEX users_role_status ON users (role, status, id);
	CREATE INDEX users_email ON users (email_key);

	CREATE TABLE app_tokens (
		id         BLOB PRIMARY KEY NOT NULL,
		hash       TEXT NOT NULL,
		name       TEXT NOT NULL,
		created    INTEGER NOT NULL,
		created_by BLOB,
		expires    INTEGER NOT NULL,
		last_used  INTEGER
	) WITHOUT ROWID;
	CREATE INDEX app_tokens_expires ON app_tokens (expires);

	CREATE TABLE tokens (
		id              BLOB PRIMARY KEY NOT NULL,
		hash            TEXT NOT NULL,
		refresh_hash    TEXT NOT NULL,
		refresh_expires INTEGER,
		kind            TEXT NOT NULL,
		user_id         BLOB NOT NULL,
		actor_id        BLOB,
		app_token_id    BLOB NOT NULL,
		chain           BLOB,
		parent          BLOB UNIQUE,
		name            TEXT NOT NULL,
		created         INTEGER NOT NULL,
		expires         INTEGER NOT NULL,
		last_used       INTEGER,
		lifetime        INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX tokens_user ON tokens (user_id, id);
	CREATE INDEX tokens_kind ON tokens (kind, id);
	CREATE INDEX tokens_user_kind ON tokens (user_id, kind, id);
	CREATE INDEX tokens_chain ON tokens (chain) WHERE chain IS NOT NULL;
	CREATE INDEX tokens_actor ON tokens (actor_id) WHERE actor_id IS NOT NULL;
	CREATE INDEX tokens_expires ON tokens (expires);

	CREATE TABLE claims (
		id      TEXT PRIMARY KEY NOT NULL,
		expires INTEGER NOT NULL,
		until   INTEGER
	) WITHOUT ROWID;
	CREATE INDEX claims_expires ON claims (expires);

	CREATE TABLE audit (
		id         BLOB PRIMARY KEY NOT NULL,
		at         INTEGER NOT NULL,
		action     TEXT NOT NULL,
		user_id    BLOB,
		username   TEXT NOT NULL,
		actor_id   BLOB,
		target     TEXT NOT NULL,
		ip         TEXT NOT NULL,
		request_id TEXT NOT NULL,
		outcome    TEXT NOT NULL,
		detail     TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX audit_action ON audit (action, id);
	CREATE INDEX audit_user ON audit (user_id, id) WHERE user_id IS NOT NULL;
	CREATE INDEX audit_actor ON audit (actor_id, id) WHERE actor_id IS NOT NULL;`,
	// 2: why a token ended (ended_by: user, support, leak, …), set when a
	// token is ended rather than left to run out. Rows of version 1 get
	// '', which reads as "time" once they have expired.
	`ALTER TABLE app_tokens ADD COLUMN ended_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN ended_by TEXT NOT NULL DEFAULT '';`,
	// 3: an app token's rate limit: rate_limit requests in each
	// window of rate_seconds; NULL (as on every older row) is none.
	`ALTER TABLE app_tokens ADD COLUMN rate_limit INTEGER;
	ALTER TABLE app_tokens ADD COLUMN rate_seconds INTEGER;`,
	// 4: scopes (a JSON list, NULL for unrestricted: what rows of earlier
	// versions read as), metadata of app tokens and the last characters of
	// the token string for its hint ('' on earlier rows). token_scopes
	// indexes the scope names tokens hold, kept by triggers in the same
	// statement as the token's row, so that deleting a scope from the
	// catalog finds a holder by index.
	`ALTER TABLE app_tokens ADD COLUMN scopes TEXT;
	ALTER TABLE app_tokens ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE app_tokens ADD COLUMN meta TEXT NOT NULL DEFAULT '';
	ALTER TABLE app_tokens ADD COLUMN last TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN scopes TEXT;
	ALTER TABLE tokens ADD COLUMN last TEXT NOT NULL DEFAULT '';
	CREATE TABLE token_scopes (
		scope    TEXT NOT NULL,
		token_id BLOB NOT NULL,
		PRIMARY KEY (scope, token_id)
	) WITHOUT ROWID;
	CREATE INDEX token_scopes_token ON token_scopes (token_id);
	CREATE TRIGGER app_tokens_scopes_insert AFTER INSERT ON app_tokens WHEN NEW.scopes IS NOT NULL BEGIN
		INSERT OR IGNORE INTO token_scopes (scope, token_id) SELECT value, NEW.id FROM json_each(NEW.scopes);
	END;
	CREATE TRIGGER app_tokens_scopes_update AFTER UPDATE OF scopes ON app_tokens BEGIN
		DELETE FROM token_scopes WHERE token_id = OLD.id;
		INSERT OR IGNORE INTO token_scopes (scope, token_id) SELECT value, NEW.id FROM json_each(NEW.scopes)
			WHERE NEW.scopes IS NOT NULL;
	END;
	CREATE TRIGGER app_tokens_scopes_delete AFTER DELETE ON app_tokens WHEN OLD.scopes IS NOT NULL BEGIN
		DELETE FROM token_scopes WHERE token_id = OLD.id;
	END;
	CREATE TRIGGER tokens_scopes_insert AFTER INSERT ON tokens WHEN NEW.scopes IS NOT NULL BEGIN
		INSERT OR IGNORE INTO token_scopes (scope, token_id) SELECT value, NEW.id FROM json_each(NEW.scopes);
	END;
	CREATE TRIGGER tokens_scopes_delete AFTER DELETE ON tokens WHEN OLD.scopes IS NOT NULL BEGIN
		DELETE FROM token_scopes WHERE token_id = OLD.id;
	END;`,
	// 5: rotated_from: the token a rotation replaced with this one,
	// unique so a token has at most one successor. Older rows get
	// NULL, which the partial indexes leave out.
	`ALTER TABLE app_tokens ADD COLUMN rotated_from BLOB;
	CREATE UNIQUE INDEX app_tokens_rotated_from ON app_tokens (rotated_from) WHERE rotated_from IS NOT NULL;
	ALTER TABLE tokens ADD COLUMN rotated_from BLOB;
	CREATE UNIQUE INDEX tokens_rotated_from ON tokens (rotated_from) WHERE rotated_from IS NOT NULL;`,
	// 6: usage: requests per app token and hour by outcome,
	// summed over the instances (each adds its counts in one upsert). A
	// new outcome is a step adding its column with DEFAULT 0.
	`CREATE TABLE usage (
		app_token_id BLOB NOT NULL,
		start        INTEGER NOT NULL,
		ok           INTEGER NOT NULL DEFAULT 0,
		denied       INTEGER NOT NULL DEFAULT 0,
		rate_limited INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (app_token_id, start)
	) WITHOUT ROWID;
	CREATE INDEX usage_start ON usage (start);`,
	// 7: webhooks and their deliveries (the outbox every audit insert
	// writes to in its own transaction).
	`CREATE TABLE webhooks (
		id            BLOB PRIMARY KEY NOT NULL,
		url           TEXT NOT NULL,
		events        TEXT NOT NULL,
		description   TEXT NOT NULL,
		status        TEXT NOT NULL,
		secret        TEXT NOT NULL,
		created       INTEGER NOT NULL,
		updated       INTEGER NOT NULL,
		created_by    BLOB,
		failing_since INTEGER
	) WITHOUT ROWID;
	CREATE INDEX webhooks_status ON webhooks (status, id);

	CREATE TABLE deliveries (
		id           BLOB PRIMARY KEY NOT NULL,
		webhook      BLOB NOT NULL,
		event        BLOB NOT NULL,
		type         TEXT NOT NULL,
		payload      TEXT NOT NULL,
		status       TEXT NOT NULL,
		attempts     INTEGER NOT NULL,
		last_status  INTEGER NOT NULL,
		last_error   TEXT NOT NULL,
		next_attempt INTEGER,
		lease_until  INTEGER NOT NULL DEFAULT 0,
		created      INTEGER NOT NULL,
		updated      INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX deliveries_webhook ON deliveries (webhook, id);
	CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE status = 'pending';`,
}}

// version reads a file's schema version.
const qVersion = `PRAGMA user_version`

// migrate brings f to the newest version of s. It reads the version first
// and returns at once when the file is current, so opening a current file
// costs one read; otherwise it applies the missing steps and the new
// version in one transaction (BEGIN IMMEDIATE: concurrent openers, in this
// process or another, take turns and the later ones find nothing to do).
// A file newer than s was written by a later release and is refused; an
// empty one (version 0) unless fromEmpty (a file being made) is
// errFileEmpty.
func migrate(ctx context.Context, f *file, s schema, fromEmpty bool) error {
	var v int
	if err := f.db.QueryRowContext(ctx, qVersion).Scan(&v); err != nil {
		return err
	}
	if v == len(s.steps) {
		return nil
	}
	if v == 0 && !fromEmpty {
		return errFileEmpty
	}
	if v > len(s.steps) {
		return fmt.Errorf("%s file %s has schema version %d, newer than this release's %d", s.name, f.path, v, len(s.steps))
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := tx.QueryRowContext(ctx, qVersion).Scan(&v); err != nil {
		return err
	}
	if v > len(s.steps) {
		return fmt.Errorf("%s file %s has schema version %d, newer than this release's %d", s.name, f.path, v, len(s.steps))
	}
	for i := v; i < len(s.steps); i++ {
		if _, err := tx.ExecContext(ctx, s.steps[i]); err != nil {
			return fmt.Errorf("%s schema step %d: %w", s.name, i+1, err)
		}
	}
	// PRAGMA takes no parameters; the version is a number of ours.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(s.steps))); err != nil {
		return err
	}
	return tx.Commit()
}
