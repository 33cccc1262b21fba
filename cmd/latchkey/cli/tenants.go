package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

func (a *app) printTenants(list []api.Tenant) error {
	return a.print(list, func(w *tableWriter) {
		w.Row("ID", "SLUG", "NAME", "STATUS", "PLATFORM", "CREATED")
		for _, t := range list {
			w.Row(t.Id, t.Slug, t.Name, string(t.Status), yesNo(t.Platform), when(t.Created))
		}
	})
}

func (a *app) printTenant(t *api.Tenant) error {
	return a.print(t, func(w *tableWriter) {
		w.Row("id", t.Id)
		w.Row("slug", t.Slug)
		w.Row("name", t.Name)
		w.Row("status", string(t.Status))
		w.Row("platform", yesNo(t.Platform))
		s := t.Settings
		for _, kv := range [][2]string{
			{"app_token_ttl", fmt.Sprint(s.AppTokenTtl)}, {"user_token_ttl", fmt.Sprint(s.UserTokenTtl)},
			{"long_token_ttl", fmt.Sprint(s.LongTokenTtl)}, {"obo_token_ttl", fmt.Sprint(s.OboTokenTtl)},
			{"refresh_token_ttl", fmt.Sprint(s.RefreshTokenTtl)}, {"max_token_ttl", fmt.Sprint(s.MaxTokenTtl)},
			{"allow_signup", fmt.Sprint(s.AllowSignup)}, {"lockout_attempts", fmt.Sprint(s.LockoutAttempts)},
			{"lockout_window", fmt.Sprint(s.LockoutWindow)}, {"lockout_duration", fmt.Sprint(s.LockoutDuration)},
		} {
			w.Row("settings."+kv[0], kv[1])
		}
		w.Row("created", when(t.Created))
		w.Row("updated", when(t.Updated))
	})
}

// settingsOf reads --setting key=value flags (lifetimes in seconds or as
// durations, booleans as true/false) into a settings patch; nil for none.
func settingsOf(pairs []string) (*api.SettingsPatch, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := map[string]any{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageError{fmt.Errorf("--setting %q: want key=value", kv)}
		}
		if b, err := strconv.ParseBool(v); err == nil && k == "allow_signup" {
			m[k] = b
			continue
		}
		n, err := parseSeconds(v)
		if err != nil || n < 0 {
			return nil, usageError{fmt.Errorf("--setting %s: want a number, a duration or true/false", kv)}
		}
		m[k] = n
	}
	b, _ := json.Marshal(m)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p api.SettingsPatch
	if err := dec.Decode(&p); err != nil {
		return nil, usageError{fmt.Errorf("--setting: %w (settings: app_token_ttl, user_token_ttl, long_token_ttl, obo_token_ttl, "+
			"refresh_token_ttl, max_token_ttl, allow_signup, lockout_attempts, lockout_window, lockout_duration)", err)}
	}
	return &p, nil
}

// parseTime reads an RFC 3339 time, or a duration meaning that long ago.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, err := parseSeconds(s); err == nil && n > 0 {
		return time.Now().Add(-time.Duration(n) * time.Second).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, usageError{fmt.Errorf("%q: want an RFC 3339 time (2026-01-02T15:04:05Z) or a duration such as 24h", s)}
}

func (a *app) tenantsCmd() *cobra.Command {
	cmd := group("tenants", "Tenants (owners of the platform tenant)")

	var name, adminUser, adminEmail string
	var settings []string
	var fromStdin bool
	create := a.run("create <slug>", "Create a tenant with its first owner and app token (printed once)", 1, []string{"<slug>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			patch, err := settingsOf(settings)
			if err != nil {
				return err
			}
			pw, err := a.password(fromStdin, "Password of the new owner "+adminUser+": ")
			if err != nil {
				return err
			}
			r, err := c.CreateTenantWithResponse(cmd.Context(), api.NewTenantRequest{Slug: args[0], Name: first(name, args[0]),
				Admin: api.Owner{Username: adminUser, Password: pw, Email: adminEmail}, Settings: patch})
			if err != nil {
				return err
			}
			t := r.JSON201
			return a.print(t, func(w *tableWriter) {
				w.Row("tenant", t.Tenant.Id, t.Tenant.Slug)
				w.Row("owner", t.Admin.Id, t.Admin.Username)
				w.Row("app token", t.AppToken)
				w.Row("(the app token is shown this once: keep it safe)")
			})
		})
	create.Flags().StringVar(&name, "name", "", "the tenant's name (default: the slug)")
	create.Flags().StringVar(&adminUser, "owner", "owner", "the first owner's username")
	create.Flags().StringVar(&adminEmail, "owner-email", "", "the first owner's email address")
	create.Flags().StringSliceVar(&settings, "setting", nil, "a setting as key=value (repeatable), e.g. allow_signup=true or user_token_ttl=12h")
	create.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the owner's password from the first line of stdin")

	var newName, newStatus string
	var newSettings []string
	update := a.run("update <tenant>", "Change a tenant's name, status or settings (by id or slug)", 1, []string{"<tenant>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			var p api.TenantPatch
			var err error
			if cmd.Flags().Changed("name") {
				p.Name = &newName
			}
			if cmd.Flags().Changed("status") {
				s := api.TenantPatchStatus(newStatus)
				p.Status = &s
			}
			if p.Settings, err = settingsOf(newSettings); err != nil {
				return err
			}
			if p == (api.TenantPatch{}) {
				return usageError{fmt.Errorf("nothing to change: give --name, --status or --setting")}
			}
			r, err := c.UpdateTenantWithResponse(cmd.Context(), args[0], p)
			if err != nil {
				return err
			}
			return a.printTenant(r.JSON200)
		})
	update.Flags().StringVar(&newName, "name", "", "a new name")
	update.Flags().StringVar(&newStatus, "status", "", "active, or disabled (every token of the tenant is refused until re-enabled)")
	update.Flags().StringSliceVar(&newSettings, "setting", nil, "a setting as key=value (repeatable)")

	var confirm string
	del := a.run("delete <tenant>", "Delete a tenant and its database (--confirm <slug>)", 1, []string{"<tenant>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			if _, err := c.DeleteTenantWithResponse(cmd.Context(), args[0], &api.DeleteTenantParams{Confirm: confirm}); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "Deleted tenant", args[0]+".")
			return nil
		})
	del.Flags().StringVar(&confirm, "confirm", "", "the tenant's slug, to confirm")
	_ = del.MarkFlagRequired("confirm")

	mint := a.appTokenCreateCmd("app-token <tenant>",
		"Mint an app token for a tenant (by id or slug), e.g. one that has none left; its secret is printed once", 1, []string{"<tenant>"},
		func(cmd *cobra.Command, c *client.Client, args []string, req api.NewAppTokenRequest, edit ...api.RequestEditorFn) (*api.AppTokenCreated, error) {
			r, err := c.CreateTenantAppTokenWithResponse(cmd.Context(), args[0], req, edit...)
			if err != nil {
				return nil, err
			}
			return r.JSON201, nil
		})

	cmd.AddCommand(create, update, del, mint,
		a.run("list", "List tenants", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			list, err := client.Collect(c.Tenants(cmd.Context(), nil))
			if err != nil {
				return err
			}
			return a.printTenants(list)
		}),
		a.run("get <tenant>", "Show a tenant, by id or slug", 1, []string{"<tenant>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			r, err := c.GetTenantWithResponse(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printTenant(r.JSON200)
		}),
	)
	a.completeArgs(cmd, tenantSlugs)
	return cmd
}
