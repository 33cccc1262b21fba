package main

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/store/mongo/mongotest"
)

// TestMain stops the FerretDB that the MongoDB-engine tests start.
func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }
