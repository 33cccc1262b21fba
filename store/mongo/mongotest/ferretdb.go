package mongotest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// FerretDB is a FerretDB v1 instance (SQLite backend) running inside the
// test process and listening on loopback TCP. It speaks the MongoDB wire
// protocol, so the MongoDB engine reaches it through the real driver. It is
// a test server only: no Latchkey binary links it.
type FerretDB struct {
	db     *ferretdb.FerretDB
	cancel context.CancelFunc
	done   chan struct{}
	uri    string
}

// StartFerretDB starts FerretDB with its data in dataDir, listening on addr
// (for example "127.0.0.1:0" for any free port). logger receives FerretDB's
// own log records; pass one at warn level or above, FerretDB logs every
// command verbosely below that. Its dumps of failed commands come at debug
// (see quietHandler).
func StartFerretDB(dataDir, addr string, logger *slog.Logger) (*FerretDB, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("FerretDB data dir %q: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("FerretDB data dir %q: %w", dataDir, err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    slog.New(quietHandler{logger.Handler()}),
	})
	if err != nil {
		return nil, fmt.Errorf("start FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &FerretDB{db: f, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(ctx)
	}()
	// MongoDBURI needs the listener to be bound, which Run does asynchronously.
	uriCh := make(chan string, 1)
	go func() { uriCh <- f.MongoDBURI() }()
	select {
	case e.uri = <-uriCh:
	case <-time.After(30 * time.Second):
		cancel()
		return nil, fmt.Errorf("start FerretDB: listener did not come up within 30s")
	}
	return e, nil
}

// URI returns the mongodb:// URI the driver connects to.
func (e *FerretDB) URI() string { return e.uri }

// Close stops the listener and closes the SQLite files.
func (e *FerretDB) Close() {
	e.cancel()
	<-e.done
}

// quietHandler passes FerretDB's records on, but its dump of every failed
// command's response, which FerretDB logs at warn, at debug instead. Failed
// commands are routine here: races are settled by duplicate-key inserts
// (a lost claim is a failed insert), and FerretDB v1 does not implement the
// endSessions the driver sends at every disconnect. As warnings they would
// put two multi-line wire dumps into the log for each.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError || !commandDump(r.Message) {
		return h.Handler.Handle(ctx, r)
	}
	if !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	quiet := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		quiet.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, quiet)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}

// commandDump reports whether msg is FerretDB's dump of a response.
func commandDump(msg string) bool {
	for _, p := range []string{"Response header: ", "Response message:", "Proxy response header: ", "Proxy response message:"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
