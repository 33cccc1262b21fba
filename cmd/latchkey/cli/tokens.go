package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// run builds a command that needs a logged-in client.
func (a *app) run(use, short string, n int, argNames []string, do func(cmd *cobra.Command, c *client.Client, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args(n, argNames...),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return do(cmd, c, args)
		},
	}
}

// expiryFlag adds --expires-in to cmd and returns its parsed value, nil
// when the flag was not given.
func expiryFlag(cmd *cobra.Command, usage string, required bool) func() (*int64, error) {
	var s string
	cmd.Flags().StringVar(&s, "expires-in", "", usage)
	if required {
		_ = cmd.MarkFlagRequired("expires-in")
	}
	return func() (*int64, error) {
		if !cmd.Flags().Changed("expires-in") {
			return nil, nil
		}
		n, err := parseSeconds(s)
		return &n, err
	}
}

func (a *app) printAppTokens(list []api.AppToken) error {
	return a.print(list, func(w *tableWriter) {
		w.Row("ID", "NAME", "HINT", "SCOPES", "CREATED", "EXPIRES", "EXPIRED", "LAST USED", "RATE LIMIT")
		for _, t := range list {
			w.Row(t.Id, t.Name, t.Hint, scopesText(t.Scopes), when(t.Created), when(t.Expires), yesNo(t.Expired),
				whenPtr(t.LastUsed), rateLimitText(t.RateLimit))
		}
	})
}

func (a *app) printAppToken(t *api.AppToken) error {
	return a.print(t, func(w *tableWriter) {
		w.Row("id", t.Id)
		w.Row("name", t.Name)
		w.Row("hint", t.Hint)
		w.Row("scopes", scopesText(t.Scopes))
		w.Row("external id", str(t.ExternalId))
		w.Row("meta", metaText(t.Meta))
		w.Row("created", when(t.Created))
		w.Row("created by", str(t.CreatedBy))
		w.Row("expires", when(t.Expires))
		w.Row("expired", yesNo(t.Expired))
		w.Row("last used", whenPtr(t.LastUsed))
		w.Row("rate limit", rateLimitText(t.RateLimit))
	})
}

// forced is the --force flag of cmd, nil when not given.
func forced(cmd *cobra.Command) *bool {
	if !cmd.Flags().Changed("force") {
		return nil
	}
	f, _ := cmd.Flags().GetBool("force")
	return &f
}

// appTokenCreateCmd builds a command that creates an app token with --name,
// --expires-in, --rate-limit and the detail flags (--scope, --meta,
// --external-id) through do and prints it with its secret.
func (a *app) appTokenCreateCmd(use, short string, n int, argNames []string,
	do func(cmd *cobra.Command, c *client.Client, args []string, req api.NewAppTokenRequest, edit ...api.RequestEditorFn) (*api.AppTokenCreated, error)) *cobra.Command {
	var expiry func() (*int64, error)
	var limit func() (*api.RateLimit, []api.RequestEditorFn, error)
	var detail *detailFlags
	cmd := a.run(use, short, n, argNames, func(cmd *cobra.Command, c *client.Client, args []string) error {
		name, _ := cmd.Flags().GetString("name")
		secs, err := expiry()
		if err != nil {
			return err
		}
		rl, edit, err := limit()
		if err != nil {
			return err
		}
		d, err := detail.read()
		if err != nil {
			return err
		}
		req := api.NewAppTokenRequest{Name: &name, SecondsUntilExpire: secs, RateLimit: rl,
			Scopes: d.scopes, Meta: d.meta, ExternalId: d.externalID}
		t, err := do(cmd, c, args, req, edit...)
		if err != nil {
			return err
		}
		return a.print(t, func(w *tableWriter) {
			w.Row("app token", t.AppToken)
			w.Row("id", t.Id)
			w.Row("name", t.Name)
			w.Row("scopes", scopesText(t.Scopes))
			w.Row("expires", when(t.Expires))
			w.Row("(the app token is shown this once: keep it safe)")
		})
	})
	cmd.Flags().String("name", "", "a name for the app")
	expiry = expiryFlag(cmd, "lifetime: seconds or a duration such as 720h or 365d (default: the tenant's app_token_ttl)", false)
	limit = rateLimitFlag(cmd, "requests per window, such as 100/60s or 5000/1h, or none (default: the tenant's app_token_rate_limit)", false)
	detail = a.addDetailFlags(cmd, false)
	return cmd
}

func (a *app) appTokensCmd() *cobra.Command {
	cmd := group("app-tokens", "The tenant's app tokens")
	create := a.appTokenCreateCmd("create", "Create an app token; its secret is printed once", 0, nil,
		func(cmd *cobra.Command, c *client.Client, _ []string, req api.NewAppTokenRequest, edit ...api.RequestEditorFn) (*api.AppTokenCreated, error) {
			r, err := c.CreateAppTokenWithResponse(cmd.Context(), req, edit...)
			if err != nil {
				return nil, err
			}
			return r.JSON201, nil
		})

	var extendExpiry func() (*int64, error)
	expireNow := int64(-1)
	extend := a.run("extend <token>", "Re-date an app token (--expires-in)", 1, []string{"<token>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			secs, err := extendExpiry()
			if err != nil {
				return err
			}
			ref, err := appTokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.SetAppTokenExpiryWithResponse(cmd.Context(), ref,
				&api.SetAppTokenExpiryParams{Force: forced(cmd)}, api.AppTokenPatch{SecondsUntilExpire: secs})
			if err != nil {
				return err
			}
			return a.printAppToken(r.JSON200)
		})
	extendExpiry = expiryFlag(extend, "seconds or a duration from now; now or -1 expires it", true)
	expire := a.run("expire <token>", "Expire an app token now (by name, id or a leaked token string)", 1, []string{"<token>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			ref, err := appTokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.SetAppTokenExpiryWithResponse(cmd.Context(), ref,
				&api.SetAppTokenExpiryParams{Force: forced(cmd)}, api.AppTokenPatch{SecondsUntilExpire: &expireNow})
			if err != nil {
				return err
			}
			return a.printAppToken(r.JSON200)
		})
	update := a.appTokenUpdateCmd()
	del := a.run("delete <token>", "Delete an app token", 1, []string{"<token>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			ref, err := appTokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if _, err := c.DeleteAppTokenWithResponse(cmd.Context(), ref, &api.DeleteAppTokenParams{Force: forced(cmd)}); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "Deleted app token", args[0]+".")
			return nil
		})
	for _, c := range []*cobra.Command{extend, expire, del} {
		c.Flags().Bool("force", false, "allow removing the tenant's last live app token, which locks the tenant out (owners only)")
	}

	cmd.AddCommand(
		a.run("list", "List the tenant's app tokens (never their secrets)", 0, nil,
			func(cmd *cobra.Command, c *client.Client, _ []string) error {
				list, err := client.Collect(c.AppTokens(cmd.Context(), nil))
				if err != nil {
					return err
				}
				return a.printAppTokens(list)
			}),
		a.run("get <token>", "Show an app token, by name, id or token string", 1, []string{"<token>"},
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				ref, err := appTokenRef(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				r, err := c.GetAppTokenWithResponse(cmd.Context(), ref)
				if err != nil {
					return err
				}
				return a.printAppToken(r.JSON200)
			}),
		create, extend, update, expire, del, a.appTokenRotateCmd(), a.appTokenUsageCmd(),
	)
	a.completeArgs(cmd, appTokenNames)
	return cmd
}

// printUserTokens prints a table of user tokens, with usernames in the
// USER and ACTOR columns (the JSON keeps the API's ids).
func (a *app) printUserTokens(ctx context.Context, c *client.Client, list []api.UserToken) error {
	var byID map[string]string
	if !a.json && len(list) > 0 {
		byID = usernamesByID(ctx, c)
	}
	return a.print(list, func(w *tableWriter) {
		w.Row("ID", "KIND", "USER", "ACTOR", "NAME", "HINT", "SCOPES", "EXPIRES", "EXPIRED", "LAST USED")
		for _, t := range list {
			w.Row(t.Id, string(t.Kind), nameOf(byID, t.User), nameOf(byID, str(t.Actor)), str(t.Name), t.Hint, scopesText(t.Scopes),
				when(t.Expires), yesNo(t.Expired), whenPtr(t.LastUsed))
		}
	})
}

// printUserToken prints one user token, with usernames for its user and
// actor.
func (a *app) printUserToken(ctx context.Context, c *client.Client, t *api.UserToken) error {
	var byID map[string]string
	if !a.json {
		byID = usernamesByID(ctx, c)
	}
	return a.print(t, func(w *tableWriter) {
		w.Row("id", t.Id)
		w.Row("kind", string(t.Kind))
		w.Row("name", str(t.Name))
		w.Row("hint", t.Hint)
		w.Row("scopes", scopesText(t.Scopes))
		w.Row("user", nameOf(byID, t.User))
		w.Row("actor", nameOf(byID, str(t.Actor)))
		w.Row("app token", t.AppTokenId)
		w.Row("created", when(t.Created))
		w.Row("expires", when(t.Expires))
		w.Row("expired", yesNo(t.Expired))
		w.Row("last used", whenPtr(t.LastUsed))
	})
}

func (a *app) tokensCmd() *cobra.Command {
	cmd := group("tokens", "User tokens: personal and on-behalf-of, list, find, expire")
	var user, kind, active string
	list := a.run("list", "List user tokens (members see their own)", 0, nil,
		func(cmd *cobra.Command, c *client.Client, _ []string) error {
			p := &api.ListTokensParams{}
			if user != "" {
				id, err := userID(cmd.Context(), c, user)
				if err != nil {
					return err
				}
				p.User = &id
			}
			if kind != "" {
				k := api.TokenKind(kind)
				p.Kind = &k
			}
			if active != "" {
				b, err := strconv.ParseBool(active)
				if err != nil {
					return usageError{fmt.Errorf("--active %q: want true or false", active)}
				}
				p.Active = &b
			}
			list, err := client.Collect(c.Tokens(cmd.Context(), p))
			if err != nil {
				return err
			}
			return a.printUserTokens(cmd.Context(), c, list)
		})
	list.Flags().StringVar(&user, "user", "", "only this user's tokens (a username or an id)")
	list.Flags().StringVar(&kind, "kind", "", "only tokens of this kind: login, personal or obo")
	list.Flags().StringVar(&active, "active", "", "only live tokens (--active, or --active=true) or expired ones (--active=false)")
	list.Flags().Lookup("active").NoOptDefVal = "true"

	var forUser, name string
	var scopeList []string
	var createExpiry func() (*int64, error)
	create := a.run("create", "Issue a personal token, or with --user an on-behalf-of token; its secret is printed once", 0, nil,
		func(cmd *cobra.Command, c *client.Client, _ []string) error {
			secs, err := createExpiry()
			if err != nil {
				return err
			}
			req := api.NewTokenRequest{SecondsUntilExpire: secs}
			if forUser != "" {
				id, err := userID(cmd.Context(), c, forUser)
				if err != nil {
					return err
				}
				req.User = &id
			}
			if name != "" {
				req.Name = &name
			}
			if cmd.Flags().Changed("scope") {
				if err := checkScopeFlag(scopeList); err != nil {
					return err
				}
				req.Scopes = &scopeList
			}
			r, err := c.CreateTokenWithResponse(cmd.Context(), req)
			if err != nil {
				return err
			}
			t := r.JSON201
			var byID map[string]string
			if !a.json {
				byID = usernamesByID(cmd.Context(), c)
			}
			return a.print(t, func(w *tableWriter) {
				w.Row("token", t.Token)
				w.Row("id", t.Id)
				w.Row("kind", string(t.Kind))
				w.Row("user", nameOf(byID, t.User))
				w.Row("actor", nameOf(byID, str(t.Actor)))
				w.Row("scopes", scopesText(t.Scopes))
				w.Row("expires", when(t.Expires))
				w.Row("(the token is shown this once: keep it safe)")
			})
		})
	create.Flags().StringVar(&forUser, "user", "", "issue an on-behalf-of token for this user (a username or an id)")
	create.Flags().StringVar(&name, "name", "", "a name for the token")
	create.Flags().StringSliceVar(&scopeList, "scope", nil, "a scope the token may use, within your own request's (repeatable, or comma-separated; default: the scopes of your own request's restriction, if any)")
	_ = create.RegisterFlagCompletionFunc("scope", a.completeFlag(scopeNames))
	createExpiry = expiryFlag(create, "lifetime: seconds or a duration (default: the tenant's obo_token_ttl)", false)

	var extendExpiry func() (*int64, error)
	extend := a.run("extend <token>", "Re-date a user token (--expires-in)", 1, []string{"<token>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			secs, err := extendExpiry()
			if err != nil {
				return err
			}
			ref, err := tokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.SetTokenExpiryWithResponse(cmd.Context(), ref, api.Expiry{SecondsUntilExpire: *secs})
			if err != nil {
				return err
			}
			return a.printUserToken(cmd.Context(), c, r.JSON200)
		})
	extendExpiry = expiryFlag(extend, "seconds or a duration from now; now or -1 expires it", true)

	cmd.AddCommand(list, create, extend, a.tokenRotateCmd(),
		a.run("get <token>", "Show a user token, by name, id or token string", 1, []string{"<token>"},
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				ref, err := tokenRef(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				r, err := c.GetTokenWithResponse(cmd.Context(), ref)
				if err != nil {
					return err
				}
				return a.printUserToken(cmd.Context(), c, r.JSON200)
			}),
		a.run("expire <token>", "Expire a user token now, by name, id or a leaked token string", 1, []string{"<token>"},
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				ref, err := tokenRef(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				r, err := c.SetTokenExpiryWithResponse(cmd.Context(), ref, api.Expiry{SecondsUntilExpire: -1})
				if err != nil {
					return err
				}
				return a.printUserToken(cmd.Context(), c, r.JSON200)
			}),
		a.run("delete <token>", "Delete a user token", 1, []string{"<token>"},
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				ref, err := tokenRef(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				if _, err := c.DeleteTokenWithResponse(cmd.Context(), ref); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, "Deleted token", args[0]+".")
				return nil
			}),
	)
	a.completeArgs(cmd, tokenNames)
	return cmd
}

// appTokenUpdateCmd is `app-tokens update <token>`: a new name, scopes,
// metadata or rate limit, in one PATCH.
func (a *app) appTokenUpdateCmd() *cobra.Command {
	var limit func() (*api.RateLimit, []api.RequestEditorFn, error)
	var detail *detailFlags
	var name string
	cmd := a.run("update <token>", "Change an app token's name, scopes, metadata or rate limit", 1, []string{"<token>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			rl, edit, err := limit()
			if err != nil {
				return err
			}
			d, err := detail.read()
			if err != nil {
				return err
			}
			p := api.AppTokenPatch{RateLimit: rl, Scopes: d.scopes, Meta: d.meta, ExternalId: d.externalID}
			if cmd.Flags().Changed("name") {
				p.Name = &name
			}
			if p == (api.AppTokenPatch{}) && len(edit) == 0 && !d.any() {
				return usageError{fmt.Errorf("nothing to change: give --name, --scope, --unrestricted, --meta, --no-meta, --external-id or --rate-limit")}
			}
			ref, err := appTokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.SetAppTokenExpiryWithResponse(cmd.Context(), ref, &api.SetAppTokenExpiryParams{}, p, append(edit, d.edits()...)...)
			if err != nil {
				return err
			}
			return a.printAppToken(r.JSON200)
		})
	cmd.Flags().StringVar(&name, "name", "", "a new name")
	limit = rateLimitFlag(cmd, "requests per window, such as 100/60s or 5000/1h, or none to remove it", false)
	detail = a.addDetailFlags(cmd, true)
	return cmd
}
