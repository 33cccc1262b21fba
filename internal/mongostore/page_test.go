package mongostore_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/mongostore"
	"github.com/latchkey/latchkey/internal/page"
)

type item struct {
	ID string `bson:"_id"`
	N  int    `bson:"n"`
}

func TestFindPage(t *testing.T) {
	s := openEmbedded(t, &lockedBuffer{})
	ctx := context.Background()
	coll := s.Client.Database("page_test").Collection("items")
	t.Cleanup(func() { _ = coll.Database().Drop(ctx) })
	for i := range 5 {
		if _, err := coll.InsertOne(ctx, item{ID: fmt.Sprintf("k%d", i), N: i % 2}); err != nil {
			t.Fatal(err)
		}
	}
	walk := func(desc bool, q bson.D) []string {
		var got []string
		var after any
		for range 10 {
			list, next, err := mongostore.FindPage(ctx, coll, q, 2, mongostore.Keyset[item]{
				Key: "_id", Desc: desc, After: after, KeyOf: func(it *item) string { return it.ID }})
			if err != nil {
				t.Fatalf("FindPage: %v", err)
			}
			for _, it := range list {
				got = append(got, it.ID)
			}
			if next == "" {
				return got
			}
			after = next
		}
		t.Fatal("FindPage never reached the last page")
		return nil
	}
	for _, tt := range []struct {
		desc bool
		q    bson.D
		want string
	}{
		{false, bson.D{}, "[k0 k1 k2 k3 k4]"},
		{true, bson.D{}, "[k4 k3 k2 k1 k0]"},
		{false, bson.D{{Key: "n", Value: 0}}, "[k0 k2 k4]"},
	} {
		if got := fmt.Sprint(walk(tt.desc, tt.q)); got != tt.want {
			t.Errorf("desc=%v q=%v: got %s, want %s", tt.desc, tt.q, got, tt.want)
		}
	}
	if _, err := mongostore.IDCursor("not-an-id"); err != page.BadCursor {
		t.Errorf("IDCursor(garbage): got %v, want BadCursor", err)
	}
	if v, err := mongostore.IDCursor(""); v != nil || err != nil {
		t.Errorf("IDCursor(\"\"): got %v, %v, want nil, nil", v, err)
	}
}
