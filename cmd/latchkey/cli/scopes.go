package cli

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// scopes iterates over the whole scope catalog, every page.
func scopes(ctx context.Context, c *client.Client) iter.Seq2[api.Scope, error] {
	return client.All(ctx, func(ctx context.Context, cursor *string) ([]api.Scope, *string, error) {
		r, err := c.ListScopesWithResponse(ctx, &api.ListScopesParams{Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// scopeNames offers the catalog's scope names.
func scopeNames(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	list, err := take(ctx, scopes(ctx, c), func(s api.Scope) bool { return strings.HasPrefix(s.Name, prefix) })
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out, err
}

var errEmptyScope = usageError{fmt.Errorf("an empty scope name: give one such as billing:read")}

func (a *app) printScope(s *api.Scope) error {
	return a.print(s, func(w *tableWriter) {
		w.Row("name", s.Name)
		w.Row("description", s.Description)
		w.Row("built in", yesNo(s.BuiltIn))
		w.Row("created", when(s.Created))
		w.Row("updated", when(s.Updated))
	})
}

// scopesCmd is `latchkey scopes`: the platform's scope catalog,
// which anyone logged in reads and platform owners change.
func (a *app) scopesCmd() *cobra.Command {
	cmd := group("scopes", "The platform's scope catalog (changed by platform owners)")
	var description string
	put := a.run("put <name>", "Create a scope, or change its description (platform owners)", 1, []string{"<name>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			if args[0] == "" {
				return errEmptyScope
			}
			r, err := c.PutScopeWithResponse(cmd.Context(), args[0], api.ScopeRequest{Description: &description})
			if err != nil {
				return err
			}
			return a.printScope(r.JSON200)
		})
	put.Flags().StringVar(&description, "description", "", `what the scope allows, at most 500 characters ("" for none)`)
	_ = put.MarkFlagRequired("description")
	cmd.AddCommand(
		a.run("list", "List the scope catalog", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			list, err := client.Collect(scopes(cmd.Context(), c))
			if err != nil {
				return err
			}
			return a.print(list, func(w *tableWriter) {
				w.Row("NAME", "DESCRIPTION", "BUILT IN", "UPDATED")
				for _, s := range list {
					w.Row(s.Name, s.Description, yesNo(s.BuiltIn), when(s.Updated))
				}
			})
		}),
		put,
		a.run("delete <name>", "Delete a scope no token holds (platform owners)", 1, []string{"<name>"},
			func(cmd *cobra.Command, c *client.Client, args []string) error {
				if args[0] == "" {
					return errEmptyScope
				}
				if _, err := c.DeleteScopeWithResponse(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, "Deleted scope", args[0]+".")
				return nil
			}),
	)
	a.completeArgs(cmd, scopeNames)
	return cmd
}
