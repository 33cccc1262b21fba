package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// Environment variables the CLI reads (configs ignores them for serve).
const (
	EnvURL      = "LATCHKEY_URL"
	EnvAppToken = "LATCHKEY_APP_TOKEN"
	EnvToken    = "LATCHKEY_TOKEN"
	EnvUsername = "LATCHKEY_USERNAME"
	EnvPassword = "LATCHKEY_PASSWORD"
	// EnvCurrentPassword is the current password a user changing its own
	// password proves itself with (users update --password on oneself).
	EnvCurrentPassword = "LATCHKEY_CURRENT_PASSWORD"
	EnvCredentials     = "LATCHKEY_CREDENTIALS"
)

// stored is what the credentials file keeps for one server: its URL, the
// app token, and the session login made (its refresh token renews it when
// it ends).
type stored struct {
	URL            string    `json:"url"`
	AppToken       string    `json:"app_token"`
	Username       string    `json:"username,omitempty"`
	Token          string    `json:"token,omitempty"`
	Expires        time.Time `json:"expires,omitzero"`
	RefreshToken   string    `json:"refresh_token,omitempty"`
	RefreshExpires time.Time `json:"refresh_expires,omitzero"`
}

func (s *stored) setSession(sess *api.Session) {
	s.Username, s.Token, s.Expires = sess.User.Username, sess.Token, sess.Expires
	s.RefreshToken, s.RefreshExpires = sess.RefreshToken, sess.RefreshExpires
}

// file is the credentials file: the credentials of each server, keyed by
// its normalised base URL (baseURL), and the server commands go to when
// LATCHKEY_URL names none (the last one logged in to). A credential is
// only ever sent to the server it is filed under: pointing the CLI at
// another server (LATCHKEY_URL, login --url) sends none of them.
type file struct {
	Current string             `json:"current,omitempty"`
	Servers map[string]*stored `json:"servers"`
}

// baseURL normalises a server URL into the key its credentials are filed
// under: http or https, scheme and host lowercased, the scheme's default
// port, user info, query, fragment and trailing slashes dropped. Two URLs
// of one server give one key; URLs of two servers never do. A URL without
// a scheme (127.0.0.1:8080, localhost:8080/) is taken as http.
func baseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError{fmt.Errorf("%q is not a server URL such as %s", raw, DefaultURL)}
	}
	scheme, host := u.Scheme, strings.ToLower(u.Hostname()) // Parse lowercases the scheme
	port := u.Port()
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// credentialsPath is LATCHKEY_CREDENTIALS, or latchkey/credentials.json in
// the user's config directory.
func (a *app) credentialsPath() (string, error) {
	if p := a.io.getenv(EnvCredentials); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", localError{fmt.Errorf("no config directory to keep credentials in (set %s): %w", EnvCredentials, err)}
	}
	return filepath.Join(dir, "latchkey", "credentials.json"), nil
}

// load reads the credentials file; a missing file is an empty one. A file
// others may read is refused: it holds secrets. A file of one server (the
// format before credentials were kept per server) is read as that
// server's entry.
func (a *app) load() (*file, error) {
	f := &file{Servers: map[string]*stored{}}
	path, err := a.credentialsPath()
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, localError{err}
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, localError{fmt.Errorf("%s can be read by others (mode %04o): run chmod 600 on it", path, perm)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, localError{err}
	}
	var probe struct {
		Servers json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, localError{fmt.Errorf("%s is not a credentials file: %w", path, err)}
	}
	if probe.Servers == nil {
		var one stored
		_ = json.Unmarshal(b, &one)
		if key, err := baseURL(one.URL); err == nil {
			one.URL, f.Current, f.Servers[key] = key, key, &one
		}
		return f, nil
	}
	if err := json.Unmarshal(b, f); err != nil {
		return nil, localError{fmt.Errorf("%s is not a credentials file: %w", path, err)}
	}
	if f.Servers == nil {
		f.Servers = map[string]*stored{}
	}
	return f, nil
}

// put files s under its server (s.URL, normalised) and saves the file;
// with current, commands go to that server from now on.
func (a *app) put(s *stored, current bool) error {
	f, err := a.load()
	if err != nil {
		return err
	}
	f.Servers[s.URL] = s
	if current {
		f.Current = s.URL
	}
	return a.save(f)
}

// save writes the credentials file, readable by its owner only, through a
// temporary file so a crash never leaves half a file.
func (a *app) save(f *file) error {
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return localError{err}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return localError{err}
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return localError{err}
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return localError{err}
	}
	if err := tmp.Close(); err != nil {
		return localError{err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return localError{err}
	}
	return nil
}

// forget removes the credentials of the server key, and the file when no
// server is left in it.
func (a *app) forget(key string) error {
	f, err := a.load()
	if err != nil {
		return err
	}
	delete(f.Servers, key)
	if f.Current == key {
		f.Current = ""
	}
	if len(f.Servers) > 0 {
		return a.save(f)
	}
	path, err := a.credentialsPath()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return localError{err}
	}
	return nil
}

var errNotLoggedIn = authError{errors.New(`not logged in: run "latchkey login" (or set LATCHKEY_URL, LATCHKEY_APP_TOKEN and LATCHKEY_TOKEN)`)}

// target returns the server commands go to (LATCHKEY_URL, else the file's
// current one), normalised, and what the file holds for it: an entry with
// only its URL when the file holds nothing for that server.
func (a *app) target() (*stored, error) {
	f, err := a.load()
	if err != nil {
		return nil, err
	}
	raw := first(a.io.getenv(EnvURL), f.Current)
	if raw == "" {
		return nil, errNotLoggedIn
	}
	key, err := baseURL(raw)
	if err != nil {
		return nil, err
	}
	if s := f.Servers[key]; s != nil {
		return s, nil
	}
	return &stored{URL: key}, nil
}

// client returns a Client of the target server with the credentials of the
// environment, else those the credentials file holds for that server (and
// no other's). A stored session that has ended is renewed with its refresh
// token first, and the file updated.
func (a *app) client(ctx context.Context) (*client.Client, error) {
	s, err := a.target()
	if err != nil {
		return nil, err
	}
	app, token := first(a.io.getenv(EnvAppToken), s.AppToken), a.io.getenv(EnvToken)
	if app == "" {
		return nil, errNotLoggedIn
	}
	c, err := anonymous(&stored{URL: s.URL, AppToken: app})
	if err != nil {
		return nil, err
	}
	switch {
	case token != "":
	case s.Token == "":
		return nil, errNotLoggedIn
	case time.Now().Before(s.Expires):
		token = s.Token
	case s.RefreshToken != "" && time.Now().Before(s.RefreshExpires):
		r, err := c.RefreshSessionWithResponse(ctx, api.RefreshRequest{RefreshToken: s.RefreshToken})
		if err != nil {
			return nil, authError{fmt.Errorf(`the session has ended and could not be renewed (%w): run "latchkey login"`, err)}
		}
		s.setSession(r.JSON200)
		if err := a.put(s, false); err != nil {
			return nil, err
		}
		token = s.Token
	default:
		return nil, authError{errors.New(`the session has ended: run "latchkey login"`)}
	}
	c.SetToken(token)
	return c, nil
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// ask prompts on stderr and reads an answer from stdin: without echo when
// secret and stdin is a terminal, otherwise one line.
func (a *app) ask(prompt string, secret bool) (string, error) {
	fmt.Fprint(a.io.Err, prompt)
	if f, ok := a.io.In.(*os.File); ok && secret && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.io.Err)
		if err != nil {
			return "", localError{err}
		}
		return string(b), nil
	}
	if a.in == nil {
		a.in = bufio.NewReader(a.io.In)
	}
	line, err := a.in.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if err != nil && line == "" {
		return "", usageError{fmt.Errorf("no answer to %q on standard input", strings.TrimSpace(prompt))}
	}
	return line, nil
}

// value returns the first of flag, the environment variable env and an
// answer to prompt that is not empty.
func (a *app) value(flag, env, prompt string, secret bool) (string, error) {
	if v := first(flag, a.io.getenv(env)); v != "" {
		return v, nil
	}
	v, err := a.ask(prompt, secret)
	if err == nil && v == "" {
		err = usageError{fmt.Errorf("%s cannot be empty", strings.TrimSuffix(strings.TrimSpace(prompt), ":"))}
	}
	return v, err
}
