package sqlite

import (
	"context"
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/users"
	"github.com/latchkey/latchkey/usertokens"
)

// statement is one query the engine runs, with arguments to explain it.
type statement struct {
	name string
	sql  string
	args []any
}

// constStatements lists every statement constant of queries.go (a const
// named q…) with arguments to explain it. The test fails when a constant
// is missing here, so a new query cannot skip the plan check.
func constStatements() []statement {
	id, ms, s := idArg(ids.New()), time.Now().UnixMilli(), "x"
	tenant := []any{s, s, s, s, false, 1, 1, 1, 1, 1, 1, false, 5, 1, 1, ms, ms, 100, 60}
	return []statement{
		// The control file (qVersion too).
		{"qVersion", qVersion, nil},
		{"qTenantInsert", qTenantInsert, tenant},
		{"qScopePut", qScopePut, []any{s, s, ms, ms}},
		{"qScopeByName", qScopeByName, []any{s}},
		{"qScopeFirst", qScopeFirst, []any{10}},
		{"qScopeAfter", qScopeAfter, []any{s, 10}},
		{"qScopeDelete", qScopeDelete, []any{s}},
		{"qTenantByID", qTenantByID, []any{s}},
		{"qTenantBySlug", qTenantBySlug, []any{s}},
		{"qTenantFirst", qTenantFirst, []any{10}},
		{"qTenantAfter", qTenantAfter, []any{s, 10}},
		{"qTenantReplace", qTenantReplace, append(tenant[1:], s)},
		{"qTenantDelete", qTenantDelete, []any{s}},
		// Tenant files.
		{"qUserInsert", qUserInsert, []any{id, s, s, s, s, s, s, s, ms, ms}},
		{"qUserByID", qUserByID, []any{id}},
		{"qUserByUsername", qUserByUsername, []any{s}},
		{"qUserReplace", qUserReplace, []any{s, s, s, s, s, s, s, ms, ms, id}},
		{"qUserDelete", qUserDelete, []any{id}},
		{"qUserIsOwner", qUserIsOwner, []any{s, s, id}},
		{"qUserOtherOwner", qUserOtherOwner, []any{s, s, id}},
		{"qAppTokenInsert", qAppTokenInsert, []any{id, s, s, ms, id, ms, ms, s, 100, 60, `["a"]`, s, s, s, id}},
		{"qAppTokenChange", qAppTokenChange, []any{s, `["a"]`, s, s, id, ms, true, true, 100, 60}},
		{"qAppTokenByID", qAppTokenByID, []any{id}},
		{"qAppTokenFirst", qAppTokenFirst, []any{10}},
		{"qAppTokenAfter", qAppTokenAfter, []any{id, 10}},
		{"qAppTokenRedate", qAppTokenRedate, []any{ms, id, ms}},
		{"qAppTokenEnd", qAppTokenEnd, []any{ms, id, ms, s}},
		{"qAppTokenRotateEnd", qAppTokenRotateEnd, []any{ms, id, ms, s}},
		{"qAppTokenEndKeep", qAppTokenEndKeep, []any{ms, id, ms, s, ms}},
		{"qAppTokenDeleteKeep", qAppTokenDeleteKeep, []any{id, ms}},
		{"qAppTokenDelete", qAppTokenDelete, []any{id}},
		{"qAppTokenPurge", qAppTokenPurge, []any{ms, purgeBatch}},
		{"qAppTokenLastUsed", qAppTokenLastUsed, []any{ms, id}},
		{"qTokenInsert", qTokenInsert, []any{id, s, s, ms, s, id, id, id, id, id, s, ms, ms, ms, 1, s, `["a"]`, s, id}},
		{"qScopeHeld", qScopeHeld, []any{s, ms}},
		{"qTokenByID", qTokenByID, []any{id}},
		{"qTokenHasChild", qTokenHasChild, []any{id}},
		{"qTokenRedate", qTokenRedate, []any{ms, id, ms}},
		{"qTokenRotateEnd", qTokenRotateEnd, []any{ms, id, ms, s}},
		{"qTokenEnd", qTokenEnd, []any{ms, s, id}},
		{"qTokenExpUser", qTokenExpUser, []any{ms, s, id, id}},
		{"qTokenExpChain", qTokenExpChain, []any{ms, s, id}},
		{"qTokenExpActor", qTokenExpActor, []any{ms, s, id}},
		{"qTokenDelete", qTokenDelete, []any{id}},
		{"qTokenPurge", qTokenPurge, []any{ms, purgeBatch}},
		{"qTokenLastUsed", qTokenLastUsed, []any{ms, id}},
		{"qClaimInsert", qClaimInsert, []any{s, ms, ms}},
		{"qClaimByID", qClaimByID, []any{s}},
		{"qClaimReplace", qClaimReplace, []any{ms, ms, s, ms}},
		{"qClaimDelete", qClaimDelete, []any{s}},
		{"qClaimDeleteRange", qClaimDeleteRange, []any{s, s}},
		{"qClaimPurge", qClaimPurge, []any{ms, purgeBatch}},
		{"qAuditInsert", qAuditInsert, []any{id, ms, s, id, s, id, s, s, s, s, s}},
		{"qWebhookInsert", qWebhookInsert, []any{id, s, s, s, s, s, ms, ms, id, ms}},
		{"qWebhookByID", qWebhookByID, []any{id}},
		{"qWebhookEnabled", qWebhookEnabled, nil},
		{"qWebhookFirst", qWebhookFirst, []any{10}},
		{"qWebhookAfter", qWebhookAfter, []any{id, 10}},
		{"qWebhookReplace", qWebhookReplace, []any{s, s, s, s, ms, ms, id}},
		{"qWebhookFailing", qWebhookFailing, []any{ms, id}},
		{"qWebhookDelete", qWebhookDelete, []any{id}},
		{"qDeliveryInsert", qDeliveryInsert, []any{id, id, id, s, s, s, 1, 1, s, ms, ms, ms}},
		{"qDeliveryByID", qDeliveryByID, []any{id, id}},
		{"qDeliveryFirst", qDeliveryFirst, []any{id, 10}},
		{"qDeliveryAfter", qDeliveryAfter, []any{id, id, 10}},
		{"qDeliveryDue", qDeliveryDue, []any{ms, 10}},
		{"qDeliveryClaim", qDeliveryClaim, []any{ms, id, 1, ms}},
		{"qDeliverySettle", qDeliverySettle, []any{s, 1, 1, s, ms, ms, id}},
		{"qDeliveryOfWebhook", qDeliveryOfWebhook, []any{id}},
	}
}

// scanAllowed names the statements that may SCAN a table, each because it
// reads a first page in the order of the index it scans and stops at the
// LIMIT: its cost is a page, however large the table. Their next pages
// start from the cursor with a SEARCH.
var scanAllowed = map[string]bool{
	"qTenantFirst":     true, // the slug index from its start
	"qAppTokenFirst":   true, // the primary key from its end
	"qScopeFirst":      true, // the primary key (name) from its start
	"qWebhookFirst":    true, // the primary key from its start
	"tokens{}":         true, // the primary key from its end
	"users{}":          true, // the primary key from its start
	"audit{}":          true, // the primary key from its end
	"tokens{active}":   true, // the primary key from its end; the newest tokens are the live ones
	"tokens{inactive}": true, // the primary key from its end; skips the live tokens (one lifetime's worth)
}

// builderStatements returns every shape of query the builders make: each
// combination of filters, on a first page and after a cursor.
func builderStatements() []statement {
	id := ids.New()
	now := time.Now()
	var list []statement
	add := func(name string, after *ids.ID, q string, args []any) {
		if after != nil {
			name += "+cursor"
		}
		list = append(list, statement{name: name, sql: q, args: args})
	}
	for _, after := range []*ids.ID{nil, &id} {
		for _, user := range []*ids.ID{nil, &id} {
			for _, kind := range []string{"", "login"} {
				for _, active := range []*bool{nil, new(true), new(false)} {
					f := usertokens.Filter{User: user, Kind: kind, Active: active}
					q, args := tokenFindSQL(f, now.UnixMilli(), after, 11)
					add("tokens"+shape(user != nil, "user", kind != "", "kind", active != nil && *active, "active",
						active != nil && !*active, "inactive"), after, q, args)
				}
			}
		}
		for _, role := range []string{"", "admin"} {
			for _, status := range []string{"", "active"} {
				for _, q := range []string{"", "al"} {
					sqlText, args := userFindSQL(users.Filter{Role: role, Status: status, Q: q}, after, 11)
					add("users"+shape(role != "", "role", status != "", "status", q != "", "q"), after, sqlText, args)
				}
			}
		}
		for _, action := range []string{"", "login"} {
			for _, user := range []*ids.ID{nil, &id} {
				for _, since := range []*time.Time{nil, &now} {
					q, args := auditFindSQL(audit.Filter{Action: action, User: user, Since: since}, after, 11)
					add("audit"+shape(action != "", "action", user != nil, "user", since != nil, "since"), after, q, args)
				}
			}
		}
	}
	// The usage statements, their outcome columns built from
	// usage.OutcomeNames.
	ms := now.UnixMilli()
	list = append(list,
		statement{"qUsageAdd", qUsageAdd, []any{idArg(id), ms, 1, 0, 0}},
		statement{"qUsageHours", qUsageHours, []any{idArg(id), ms, ms}},
		statement{"qUsageTotals", qUsageTotals, []any{ms, ms}},
		statement{"qUsagePurge", qUsagePurge, []any{ms, purgeBatch}})
	return list
}

// shape names a combination of filters: shape(true, "user", false,
// "kind") is "{user}".
func shape(pairs ...any) string {
	var on []string
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i].(bool) {
			on = append(on, pairs[i+1].(string))
		}
	}
	return "{" + strings.Join(on, ",") + "}"
}

// checkListed fails the test for each statement constant of queries.go
// (q…), read from its source, that list lacks.
func checkListed(t *testing.T, list []statement) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "queries.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, st := range list {
		listed[st.name] = true
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "q") && !listed[n.Name] {
					t.Errorf("%s is not in constStatements: add it with arguments", n.Name)
				}
			}
		}
	}
}

// TestQueryPlans runs EXPLAIN QUERY PLAN on every statement the engine runs
// (the hot paths' lookups, inserts, updates and deletes, every list and
// audit page shape, the purges) and fails on a SCAN of a table: every
// table grows with use, so a scan is work that grows with the data. The
// planner has no statistics (the engine never runs ANALYZE), exactly as in
// production.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, t.TempDir())
	tn := mustTenant(t, db)
	h, err := db.pool.acquire(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer db.pool.release(h)
	files := map[string]*sql.DB{"control": db.control.db, "tenant": h.db}
	tables := map[string]map[string]bool{}
	for kind, f := range files {
		tables[kind] = tableNames(t, f)
	}

	list := constStatements()
	checkListed(t, list)
	list = append(list, builderStatements()...)

	for _, st := range list {
		kind := "tenant"
		if strings.HasPrefix(st.name, "qTenant") || strings.HasPrefix(st.name, "qScope") && st.name != "qScopeHeld" || st.name == "qVersion" {
			kind = "control"
		}
		plan, err := explain(files[kind], st)
		if err != nil {
			t.Errorf("%s: %v", st.name, err)
			continue
		}
		t.Logf("%s: %s", st.name, strings.Join(plan, " | ")) // with -v, for review
		for _, step := range plan {
			f := strings.Fields(step)
			if len(f) < 2 || f[0] != "SCAN" || !tables[kind][f[1]] {
				continue
			}
			if scanAllowed[st.name] {
				continue
			}
			t.Errorf("%s scans table %s:\n  %s\nplan:\n  %s", st.name, f[1], oneLine(st.sql), strings.Join(plan, "\n  "))
		}
	}
}

func tableNames(t *testing.T, f *sql.DB) map[string]bool {
	t.Helper()
	rows, err := f.Query(`SELECT name FROM sqlite_schema WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names[n] = true
	}
	if len(names) == 0 {
		t.Fatal("no tables")
	}
	return names
}

// explain returns the steps of st's query plan.
func explain(f *sql.DB, st statement) ([]string, error) {
	rows, err := f.Query("EXPLAIN QUERY PLAN "+st.sql, st.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }
