package ids_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/latchkey/latchkey/internal/ids"
)

func TestParseHexRoundTrip(t *testing.T) {
	a := ids.New()
	b, err := ids.Parse(a.Hex())
	if err != nil || a != b {
		t.Fatalf("Parse(%s) = %s, %v; want the same id", a.Hex(), b.Hex(), err)
	}
	for _, bad := range []string{"", "zz", "0123456789abcdef0123456", "0123456789abcdef0123456g", "0123456789abcdef012345678"} {
		if _, err := ids.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
}

func TestIDsSortByCreation(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	older, newer := ids.NewAt(t0), ids.NewAt(t0.Add(time.Second))
	floor := ids.Floor(t0.Add(time.Second))
	if bytes.Compare(older[:], newer[:]) >= 0 || bytes.Compare(floor[:], older[:]) <= 0 || bytes.Compare(floor[:], newer[:]) > 0 {
		t.Fatalf("ids do not sort by creation time: %s, %s", older, newer)
	}
	a, b := ids.NewAt(t0), ids.NewAt(t0)
	if bytes.Compare(a[:], b[:]) >= 0 {
		t.Fatalf("ids of one second do not sort by the counter: %s then %s", a, b)
	}
	if !older.Time().Equal(t0) {
		t.Fatalf("Time() = %v, want %v", older.Time(), t0)
	}
}

// The MongoDB engine stores ids as native ObjectIDs.
func TestBSONIsObjectID(t *testing.T) {
	a := ids.New()
	raw, err := bson.Marshal(bson.D{{Key: "_id", Value: a}})
	if err != nil {
		t.Fatal(err)
	}
	var asOID struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := bson.Unmarshal(raw, &asOID); err != nil || asOID.ID.Hex() != a.Hex() {
		t.Fatalf("stored as %v (%v), want ObjectID %s", asOID.ID, err, a)
	}
	var back struct {
		ID ids.ID `bson:"_id"`
	}
	if err := bson.Unmarshal(raw, &back); err != nil || back.ID != a {
		t.Fatalf("read back %s (%v), want %s", back.ID, err, a)
	}
}

func TestJSONIsHex(t *testing.T) {
	a := ids.New()
	b, _ := json.Marshal(a)
	if string(b) != `"`+a.Hex()+`"` {
		t.Fatalf("JSON %s, want the hex string", b)
	}
}
