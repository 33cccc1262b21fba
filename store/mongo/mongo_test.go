package mongo_test

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/store"

	"github.com/latchkey/latchkey/store/mongo/mongotest"
	"github.com/latchkey/latchkey/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }

// The behavioural suite on the MongoDB engine, over FerretDB v1.24.0 (the
// real driver and wire protocol).
func TestFerretDB(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store { return mongotest.Open(tb, mongotest.FerretURI(tb)) })
}

// The suite on a real MongoDB, when LATCHKEY_TEST_MONGODB_URI names one.
func TestRealMongoDB(t *testing.T) {
	uri := mongotest.RealURI(t)
	storetest.Run(t, func(tb testing.TB) store.Store { return mongotest.Open(tb, uri) })
}
