package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

func (a *app) printUsers(list []api.User) error {
	return a.print(list, func(w *tableWriter) {
		w.Row("ID", "USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED")
		for _, u := range list {
			w.Row(u.Id, u.Username, u.Email, string(u.Role), string(u.Status), when(u.Created))
		}
	})
}

func (a *app) printUser(u *api.User) error {
	return a.print(u, func(w *tableWriter) {
		w.Row("id", u.Id)
		w.Row("username", u.Username)
		w.Row("email", u.Email)
		w.Row("role", string(u.Role))
		w.Row("status", string(u.Status))
		w.Row("created", when(u.Created))
		w.Row("updated", when(u.Updated))
	})
}

func (a *app) usersCmd() *cobra.Command {
	cmd := group("users", "The tenant's users")

	var role, status, q string
	list := a.run("list", "List users", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
		p := &api.ListUsersParams{}
		if role != "" {
			r := api.Role(role)
			p.Role = &r
		}
		if status != "" {
			s := api.UserStatus(status)
			p.Status = &s
		}
		if q != "" {
			p.Q = &q
		}
		list, err := client.Collect(c.Users(cmd.Context(), p))
		if err != nil {
			return err
		}
		return a.printUsers(list)
	})
	list.Flags().StringVar(&role, "role", "", "only users of this role: owner, admin, support or member")
	list.Flags().StringVar(&status, "status", "", "only active or disabled users")
	list.Flags().StringVar(&q, "search", "", "only users whose username or email starts with this")
	list.Flags().StringVar(&q, "q", "", "the same as --search")
	_ = list.Flags().MarkHidden("q")

	var email, newRole string
	var fromStdin bool
	create := a.run("create <username>", "Create a user (password from stdin, LATCHKEY_PASSWORD or a prompt)", 1, []string{"<username>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			pw, err := a.password(fromStdin, "Password for "+args[0]+": ")
			if err != nil {
				return err
			}
			r, err := c.CreateUserWithResponse(cmd.Context(), api.NewUserRequest{Username: args[0], Password: pw,
				Email: email, Role: api.Role(newRole)})
			if err != nil {
				return err
			}
			return a.printUser(r.JSON201)
		})
	create.Flags().StringVar(&email, "email", "", "the user's email address")
	create.Flags().StringVar(&newRole, "role", "member", "owner, admin, support or member")
	create.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")

	var setEmail, setRole, setStatus string
	var setPassword bool
	update := a.run("update <user>", "Change a user's email, role, status or password", 1, []string{"<user>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			var p api.UserPatch
			f := cmd.Flags()
			if f.Changed("email") {
				p.Email = &setEmail
			}
			if f.Changed("role") {
				r := api.Role(setRole)
				p.Role = &r
			}
			if f.Changed("status") {
				s := api.UserStatus(setStatus)
				p.Status = &s
			}
			if setPassword {
				// Your own password needs the current one.
				me, err := c.GetMeWithResponse(cmd.Context())
				if err != nil {
					return err
				}
				if me.JSON200.Id == args[0] || strings.EqualFold(me.JSON200.Username, args[0]) {
					cur, err := a.value("", EnvCurrentPassword, "Current password: ", true)
					if err != nil {
						return err
					}
					p.CurrentPassword = &cur
				}
				pw, err := a.password(false, "New password: ")
				if err != nil {
					return err
				}
				p.Password = &pw
			}
			if p == (api.UserPatch{}) {
				return usageError{fmt.Errorf("nothing to change: give --email, --role, --status or --password")}
			}
			r, err := c.UpdateUserWithResponse(cmd.Context(), args[0], p)
			if err != nil {
				return err
			}
			return a.printUser(r.JSON200)
		})
	update.Flags().StringVar(&setEmail, "email", "", "a new email address")
	update.Flags().StringVar(&setRole, "role", "", "a new role")
	update.Flags().StringVar(&setStatus, "status", "", "active, or disabled (which ends all its tokens)")
	update.Flags().BoolVar(&setPassword, "password", false, "set a new password (from LATCHKEY_PASSWORD or a prompt); ends its other tokens")

	cmd.AddCommand(list, create, update,
		a.run("get <user>", "Show a user", 1, []string{"<user>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			r, err := c.GetUserWithResponse(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printUser(r.JSON200)
		}),
		a.run("me", "Show the user you are logged in as", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			r, err := c.GetMeWithResponse(cmd.Context())
			if err != nil {
				return err
			}
			return a.printUser(r.JSON200)
		}),
		a.run("delete <user>", "Delete a user and end its tokens", 1, []string{"<user>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			if _, err := c.DeleteUserWithResponse(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "Deleted user", args[0]+".")
			return nil
		}),
		a.run("expire-tokens <user>", "Expire every live token of a user now", 1, []string{"<user>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			r, err := c.ExpireUserTokensWithResponse(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.print(r.JSON200, nil)
			}
			_, err = fmt.Fprintf(a.io.Out, "Expired %d token(s) of user %s.\n", r.JSON200.Expired, args[0])
			return err
		}),
		a.run("unlock <user>", "End the login lockout of a user at once", 1, []string{"<user>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			if _, err := c.UnlockUserWithResponse(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintln(a.io.Out, "Unlocked user", args[0]+".")
			return err
		}),
	)
	a.completeArgs(cmd, usernames)
	return cmd
}

func (a *app) auditCmd() *cobra.Command {
	var action, user, since string
	var limit int
	cmd := a.run("audit", "Read the tenant's audit log, newest first", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
		p := &api.ListAuditParams{}
		if action != "" {
			p.Action = &action
		}
		if user != "" {
			id, err := userID(cmd.Context(), c, user)
			if err != nil {
				return err
			}
			p.User = &id
		}
		if since != "" {
			t, err := parseTime(since)
			if err != nil {
				return err
			}
			p.Since = &t
		}
		var list []api.AuditRecord
		for r, err := range c.Audit(cmd.Context(), p) {
			if err != nil {
				return err
			}
			if list = append(list, r); len(list) == limit {
				break
			}
		}
		var byID map[string]string
		for _, r := range list {
			if r.Actor != nil && byID == nil && !a.json {
				byID = usernamesByID(cmd.Context(), c)
			}
		}
		return a.print(list, func(w *tableWriter) {
			w.Row("AT", "ACTION", "OUTCOME", "USER", "ACTOR", "TARGET", "IP", "DETAIL")
			for _, r := range list {
				actor := ""
				if r.Actor != nil {
					actor = nameOf(byID, *r.Actor)
				}
				w.Row(when(r.At), r.Action, string(r.Outcome), first(str(r.Username), str(r.User)), actor, r.Target, r.Ip, str(r.Detail))
			}
		})
	})
	cmd.Flags().StringVar(&action, "action", "", "only records of this action (login, token.create, …)")
	cmd.Flags().StringVar(&user, "user", "", "only records of this user (a username or an id)")
	cmd.Flags().StringVar(&since, "since", "", "only records since this RFC 3339 time or this long ago (e.g. 24h)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many records (0: all)")
	return cmd
}
