package cli

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// DefaultURL is the server login offers when none is given.
const DefaultURL = "http://127.0.0.1:8080"

// password reads a password: the first line of stdin with fromStdin, else
// LATCHKEY_PASSWORD, else a prompt (without echo on a terminal).
func (a *app) password(fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		return a.ask("", false)
	}
	return a.value("", EnvPassword, prompt, true)
}

// serverFlags adds the flags of the commands that start a session.
func serverFlags(cmd *cobra.Command, url, appToken, username *string, fromStdin *bool) {
	cmd.Flags().StringVar(url, "url", "", "the server, e.g. "+DefaultURL)
	cmd.Flags().StringVar(appToken, "app-token", "", "the tenant's app token (lka_…)")
	cmd.Flags().StringVar(username, "username", "", "the username")
	cmd.Flags().BoolVar(fromStdin, "password-stdin", false, "read the password from the first line of stdin")
}

// anonymous returns a Client of the server in s with its app token only.
// It follows no redirect: the API never redirects, and Go's HTTP client
// would carry the App-Token and Token headers to wherever one pointed.
func anonymous(s *stored) (*client.Client, error) {
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		return fmt.Errorf("the server redirected to %s: not followed, so no credential leaves for another server", req.URL.Redacted())
	}}
	c, err := client.New(s.URL, client.Credentials{AppToken: s.AppToken}, client.WithHTTPClient(hc))
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// server asks for the URL and the app token where flags, the environment
// and the credentials file leave them open. The stored app token offered
// is the one filed under that URL: another server's is never sent.
func (a *app) server(url, app string) (*stored, error) {
	f, err := a.load()
	if err != nil {
		return nil, err
	}
	raw, err := a.value(first(url, a.io.getenv(EnvURL), f.Current), EnvURL, "Latchkey URL (e.g. "+DefaultURL+"): ", false)
	if err != nil {
		return nil, err
	}
	s := &stored{}
	if s.URL, err = baseURL(raw); err != nil {
		return nil, err
	}
	if old := f.Servers[s.URL]; old != nil {
		app = first(app, a.io.getenv(EnvAppToken), old.AppToken)
	}
	if s.AppToken, err = a.value(app, EnvAppToken, "App token: ", true); err != nil {
		return nil, err
	}
	return s, nil
}

func (a *app) loginCmd() *cobra.Command {
	var url, appToken, username string
	var fromStdin, long bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in and keep the session in the credentials file",
		Long: `Log in to a Latchkey server. What flags and the environment (LATCHKEY_URL,
LATCHKEY_APP_TOKEN, LATCHKEY_USERNAME, LATCHKEY_PASSWORD) do not give is asked
for; the password without echo on a terminal, or read from stdin with
--password-stdin. The session, with its refresh token, is kept in the
credentials file (mode 0600) and renewed by its refresh token when it ends.`,
		Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.server(url, appToken)
			if err != nil {
				return err
			}
			if s.Username, err = a.value(username, EnvUsername, "Username: ", false); err != nil {
				return err
			}
			pw, err := a.password(fromStdin, "Password: ")
			if err != nil {
				return err
			}
			c, err := anonymous(s)
			if err != nil {
				return err
			}
			r, err := c.LoginWithResponse(cmd.Context(), api.LoginRequest{Username: &s.Username, Password: &pw, Long: &long})
			if err != nil {
				return err
			}
			return a.keep(s, r.JSON200, "Logged in")
		},
	}
	serverFlags(cmd, &url, &appToken, &username, &fromStdin)
	cmd.Flags().BoolVar(&long, "long", false, "a long session (the tenant's long_token_ttl, 30 days by default)")
	return cmd
}

// keep saves a new session and says so.
func (a *app) keep(s *stored, sess *api.Session, what string) error {
	s.setSession(sess)
	if err := a.put(s, true); err != nil {
		return err
	}
	if a.json {
		return a.print(map[string]any{"url": s.URL, "user": sess.User, "expires": sess.Expires}, nil)
	}
	_, err := fmt.Fprintf(a.io.Out, "%s to %s as %s (%s); the session ends %s.\n", what, s.URL, sess.User.Username, sess.User.Role, when(sess.Expires))
	return err
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and forget the credentials file",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.target()
			if err != nil {
				return err
			}
			c, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			var apiErr *client.Error
			if _, err := c.LogoutWithResponse(cmd.Context()); err != nil && !(errors.As(err, &apiErr) && apiErr.Status == 401) {
				return err
			}
			if err := a.forget(s.URL); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "Logged out.")
			return nil
		},
	}
}

func (a *app) signupCmd() *cobra.Command {
	var url, appToken, username, email string
	var fromStdin, acceptTOS bool
	cmd := &cobra.Command{
		Use:   "signup",
		Short: "Sign up as a member where the tenant allows it, and stay logged in",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.server(url, appToken)
			if err != nil {
				return err
			}
			if username, err = a.value(username, EnvUsername, "Username: ", false); err != nil {
				return err
			}
			if email, err = a.value(email, "", "Email: ", false); err != nil {
				return err
			}
			pw, err := a.password(fromStdin, "Password: ")
			if err != nil {
				return err
			}
			c, err := anonymous(s)
			if err != nil {
				return err
			}
			r, err := c.SignupWithResponse(cmd.Context(), api.SignupRequest{Username: username, Email: email,
				Password1: pw, Password2: pw, AcceptTos: acceptTOS})
			if err != nil {
				return err
			}
			return a.keep(s, r.JSON201, "Signed up")
		},
	}
	serverFlags(cmd, &url, &appToken, &username, &fromStdin)
	cmd.Flags().StringVar(&email, "email", "", "your email address")
	cmd.Flags().BoolVar(&acceptTOS, "accept-tos", false, "accept the terms of service (required)")
	return cmd
}

func (a *app) sessionCmd() *cobra.Command {
	cmd := group("session", "Show, extend or renew your own session")
	var expiresIn string
	extend := &cobra.Command{
		Use:   "extend",
		Short: "Re-date your session (--expires-in; now or -1 ends it)",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			secs, err := parseSeconds(expiresIn)
			if err != nil {
				return err
			}
			c, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			r, err := c.ExtendCurrentTokenWithResponse(cmd.Context(), api.Expiry{SecondsUntilExpire: secs})
			if err != nil {
				return err
			}
			if s, err := a.target(); err == nil && s.Token != "" && s.Token == c.Credentials().Token {
				s.Expires = r.JSON200.Expires
				if err := a.put(s, false); err != nil {
					return err
				}
			}
			return a.printUserToken(cmd.Context(), c, r.JSON200)
		},
	}
	extend.Flags().StringVar(&expiresIn, "expires-in", "", "seconds or a duration such as 12h or 7d from now; now or -1 ends the session")
	_ = extend.MarkFlagRequired("expires-in")
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "The token you are acting with",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			r, err := c.GetCurrentTokenWithResponse(cmd.Context())
			if err != nil {
				return err
			}
			return a.printUserToken(cmd.Context(), c, r.JSON200)
		},
	}, extend, &cobra.Command{
		Use:   "refresh",
		Short: "Trade the stored refresh token for a new session now",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.target()
			if err != nil {
				return err
			}
			if s.RefreshToken == "" {
				return errNotLoggedIn
			}
			c, err := anonymous(s)
			if err != nil {
				return err
			}
			r, err := c.RefreshSessionWithResponse(cmd.Context(), api.RefreshRequest{RefreshToken: s.RefreshToken})
			if err != nil {
				return err
			}
			return a.keep(s, r.JSON200, "Renewed the session")
		},
	})
	return cmd
}

// parseSeconds reads --expires-in: whole seconds, a Go duration (90m, 12h),
// days (7d), or "now" (-1, which expires at once).
func parseSeconds(s string) (int64, error) {
	switch {
	case s == "now":
		return -1, nil
	case strings.HasSuffix(s, "d"):
		if n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64); err == nil {
			return n * 86400, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return int64(d / time.Second), nil
	}
	return 0, usageError{fmt.Errorf("--expires-in %q: want seconds, a duration such as 12h or 7d, or now", s)}
}
