package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/cmd/latchkey/cli"
	"github.com/latchkey/latchkey/internal/testserver"
)

// recorder is a second server on 127.0.0.1 that keeps the headers of every
// request it gets and answers 401 in Latchkey's shape (or redirects, when
// to is set).
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	to      string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		if r.to != "" {
			http.Redirect(w, req, r.to+req.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":{"Token":"Invalid or expired token."}}`))
	}))
	t.Cleanup(r.Close)
	return r
}

// sawAny reports whether any request r got carried one of secrets in any
// header.
func (r *recorder) sawAny(secrets ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.headers {
		for _, vs := range h {
			for _, v := range vs {
				for _, s := range secrets {
					if s != "" && strings.Contains(v, s) {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestCredentialsStayWithTheirServer: the credentials file keeps a session
// per server URL, and a command pointed at another server (LATCHKEY_URL,
// login --url) sends it none of the App-Token or Token it holds for the
// first, nor follows a redirect that would carry them elsewhere.
func TestCredentialsStayWithTheirServer(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.login(s.AppToken, s.Username, s.Password)
	first := tm.entry(s.URL)
	token := first["token"].(string)
	secrets := []string{s.AppToken, token, first["refresh_token"].(string)}

	other := newRecorder(t)
	tm.env = []string{cli.EnvURL + "=" + other.URL}
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "users", "me")
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "session", "refresh")
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "logout")
	tm.env = nil
	// login --url asks for the other server's app token instead of offering
	// the first server's: the one line of stdin answers that prompt, so
	// no password is left and nothing is sent.
	tm.fails(cli.ExitUsage, []string{"App token: "}, "a-password\n", "login", "--url", other.URL, "--username", s.Username, "--password-stdin")
	if other.sawAny(secrets...) {
		t.Fatalf("the other server received a credential of the first: %v", other.headers)
	}

	// One server under two spellings of its URL is one entry.
	tm.env = []string{cli.EnvURL + "=" + strings.Replace(s.URL, "http://", "HTTP://", 1) + "/"}
	contains(t, "users me at the first server's other spelling", tm.ok("", "users", "me"), s.Username)

	// A server the file holds credentials for that redirects elsewhere: the
	// redirect is not followed, so the credentials stay with it.
	target := newRecorder(t)
	redirecting := newRecorder(t)
	redirecting.to = target.URL
	var f map[string]any
	b, _ := os.ReadFile(tm.creds)
	_ = json.Unmarshal(b, &f)
	f["servers"].(map[string]any)[redirecting.URL] = map[string]any{"url": redirecting.URL, "app_token": "lka_redirected_app",
		"token": "lku_redirected_token", "expires": "2999-01-01T00:00:00Z"}
	b, _ = json.Marshal(f)
	if err := os.WriteFile(tm.creds, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tm.env = []string{cli.EnvURL + "=" + redirecting.URL}
	r := tm.run("", "users", "me")
	if r.code == cli.ExitOK {
		t.Errorf("users me at a redirecting server: exit 0, want a failure")
	}
	if !redirecting.sawAny("lku_redirected_token") {
		t.Errorf("the redirecting server did not get its own credentials: %v", redirecting.headers)
	}
	if target.sawAny(append(secrets, "lka_redirected_app", "lku_redirected_token")...) {
		t.Errorf("a redirect carried credentials to another server: %v", target.headers)
	}

	// The first server's session is still there and still current.
	tm.env = nil
	contains(t, "users me", tm.ok("", "users", "me"), s.Username)
	if e := tm.entry(s.URL); e["token"] != token {
		t.Errorf("the first server's entry changed: %v", e)
	}
}

// TestCredentialsFileOfOneServer: a credentials file written before
// credentials were kept per server (one object) is read as that server's.
func TestCredentialsFileOfOneServer(t *testing.T) {
	s := testserver.Start(t)
	tm := newTerm(t, s)
	tm.login(s.AppToken, s.Username, s.Password)
	one, _ := json.Marshal(tm.entry(s.URL))
	if err := os.WriteFile(tm.creds, one, 0o600); err != nil {
		t.Fatal(err)
	}
	contains(t, "users me with a one-server file", tm.ok("", "users", "me"), s.Username)
	tm.env = []string{cli.EnvURL + "=" + newRecorder(t).URL}
	tm.fails(cli.ExitAuth, []string{"not logged in"}, "", "users", "me")
}
