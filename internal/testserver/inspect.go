package testserver

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/mongo"
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
	case *mongo.DB:
		n, err := st.Client().Database("lk_"+tenantID).Collection(table).CountDocuments(ctx, bson.D{})
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
	case *mongo.DB:
		names, err := st.Client().ListDatabaseNames(context.Background(), bson.D{})
		if err != nil {
			tb.Fatalf("list databases: %v", err)
		}
		return slices.Contains(names, "lk_"+tenantID)
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
	case *mongo.DB:
		db := st.Client().Database("lk_" + tenantID)
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
