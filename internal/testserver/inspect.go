package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/store/mongo"
	"github.com/latchkey/latchkey/store/sqlite"
)

// Tables (MongoDB: collections) of a tenant database, for Count.
const (
	TableUsers     = "users"
	TableAppTokens = "app_tokens"
	TableTokens    = "tokens"
	TableClaims    = "login_claims"
	TableAudit     = "audit"
)

// Count returns how many records table holds in tenant's database, read
// straight from the engine (tests of purges and clean-ups).
func (s *Server) Count(tb testing.TB, tenantID, table string) int64 {
	tb.Helper()
	ctx := context.Background()
	switch st := s.Store.(type) {
	case *sqlite.DB:
		var n int64
		db := openTenantFile(tb, st, tenantID)
		if table == TableClaims {
			table = "claims" // the SQLite engine's name for it
		}
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		return n
	case *mongo.DB:
		n, err := st.Client().Database(mongo.TenantDatabase(tenantID)).Collection(table).CountDocuments(ctx, bson.D{})
		if err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		return n
	default:
		tb.Fatalf("Count: unknown engine %T", s.Store)
		return 0
	}
}

// DatabaseExists reports whether tenant's database exists in the engine.
func (s *Server) DatabaseExists(tb testing.TB, tenantID string) bool {
	tb.Helper()
	switch st := s.Store.(type) {
	case *sqlite.DB:
		_, err := os.Stat(tenantFile(st, tenantID))
		return err == nil
	case *mongo.DB:
		names, err := st.Client().ListDatabaseNames(context.Background(), bson.D{})
		if err != nil {
			tb.Fatalf("list databases: %v", err)
		}
		return slices.Contains(names, mongo.TenantDatabase(tenantID))
	default:
		tb.Fatalf("DatabaseExists: unknown engine %T", s.Store)
		return false
	}
}

// Records returns every record of tenant's database as text, read straight
// from the engine, so tests can check that no secret was stored in clear.
func (s *Server) Records(tb testing.TB, tenantID string) []string {
	tb.Helper()
	ctx := context.Background()
	var out []string
	switch st := s.Store.(type) {
	case *sqlite.DB:
		db := openTenantFile(tb, st, tenantID)
		tables, err := db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table'")
		if err != nil {
			tb.Fatalf("list tables: %v", err)
		}
		var names []string
		for tables.Next() {
			var name string
			if err := tables.Scan(&name); err != nil {
				tb.Fatal(err)
			}
			names = append(names, name)
		}
		tables.Close()
		for _, name := range names {
			out = append(out, sqliteRows(tb, db, name)...)
		}
	case *mongo.DB:
		db := st.Client().Database(mongo.TenantDatabase(tenantID))
		names, err := db.ListCollectionNames(ctx, bson.D{})
		if err != nil {
			tb.Fatalf("list collections: %v", err)
		}
		for _, name := range names {
			cur, err := db.Collection(name).Find(ctx, bson.D{})
			if err != nil {
				tb.Fatalf("read %s: %v", name, err)
			}
			var docs []bson.M
			if err := cur.All(ctx, &docs); err != nil {
				tb.Fatalf("read %s: %v", name, err)
			}
			for _, d := range docs {
				out = append(out, name+": "+fmt.Sprint(d))
			}
		}
	default:
		tb.Fatalf("Records: unknown engine %T", s.Store)
	}
	return out
}

// tenantFile is the path of tenant's SQLite file.
func tenantFile(st *sqlite.DB, tenantID string) string {
	return filepath.Join(st.Dir(), "tenants", tenantID+".db")
}

// openTenantFile opens tenant's SQLite file read-only, as another process
// would, closed when the test ends.
func openTenantFile(tb testing.TB, st *sqlite.DB, tenantID string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+tenantFile(st, tenantID)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatalf("open %s: %v", tenantID, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// sqliteRows returns every row of table as text, blobs in hex and as text.
func sqliteRows(tb testing.TB, db *sql.DB, table string) []string {
	tb.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		line := table + ":"
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = fmt.Sprintf("%x %s", b, b)
			}
			line += fmt.Sprintf(" %s=%v", cols[i], v)
		}
		out = append(out, line)
	}
	return out
}
