package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// People name things as they know them: usernames, app token and token
// names, tenant slugs. The API takes ids and token strings (and usernames
// and slugs in paths); what is neither is resolved here, through the list
// endpoints, and lists show names where they would show ids.

// idPattern is a record id.
var idPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// completionLimit bounds how many names a completion fetches.
const completionLimit = 200

// names lists the names an argument may take that start with prefix.
type names func(ctx context.Context, c *client.Client, prefix string) ([]string, error)

// completeArgs makes every subcommand of group that takes an argument
// complete it with list: latchkey users get <TAB> offers usernames.
func (a *app) completeArgs(group *cobra.Command, list names) {
	for _, sub := range group.Commands() {
		if !strings.Contains(sub.Use, "<") {
			continue
		}
		sub.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			c, err := a.client(cmd.Context())
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			got, err := list(cmd.Context(), c, prefix)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return got, cobra.ShellCompDirectiveNoFileComp
		}
	}
}

// take returns the values of seq that keep accepts, at most
// completionLimit of them.
func take[T any](ctx context.Context, seq func(yield func(T, error) bool), keep func(T) bool) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		if keep(v) {
			if out = append(out, v); len(out) == completionLimit {
				break
			}
		}
	}
	return out, ctx.Err()
}

func usernames(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	p := &api.ListUsersParams{}
	if prefix != "" {
		p.Q = &prefix
	}
	list, err := take(ctx, c.Users(ctx, p), func(api.User) bool { return true })
	out := make([]string, 0, len(list))
	for _, u := range list {
		if strings.HasPrefix(u.Username, prefix) {
			out = append(out, u.Username)
		}
	}
	return out, err
}

func tenantSlugs(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	list, err := take(ctx, c.Tenants(ctx, nil), func(t api.Tenant) bool { return strings.HasPrefix(t.Slug, prefix) })
	out := make([]string, 0, len(list))
	for _, t := range list {
		out = append(out, t.Slug)
	}
	return out, err
}

// appTokenNames offers the live app tokens' names (their ids where they
// have none).
func appTokenNames(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	list, err := take(ctx, c.AppTokens(ctx, nil), func(t api.AppToken) bool {
		return !t.Expired && strings.HasPrefix(first(t.Name, t.Id), prefix)
	})
	out := make([]string, 0, len(list))
	for _, t := range list {
		out = append(out, first(t.Name, t.Id))
	}
	return out, err
}

// tokenNames offers the live user tokens' names (their ids where they
// have none).
func tokenNames(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	live := true
	list, err := take(ctx, c.Tokens(ctx, &api.ListTokensParams{Active: &live}), func(t api.UserToken) bool {
		return strings.HasPrefix(first(str(t.Name), t.Id), prefix)
	})
	out := make([]string, 0, len(list))
	for _, t := range list {
		out = append(out, first(str(t.Name), t.Id))
	}
	return out, err
}

// named picks the one record called name: the live one where an expired
// one has the same name. Several live ones are a usage error listing ids.
func named[T any](kind, name string, list []T, nameOf func(T) string, live func(T) bool, id func(T) string) (string, bool, error) {
	var all, alive []T
	for _, v := range list {
		if nameOf(v) == name {
			all = append(all, v)
			if live(v) {
				alive = append(alive, v)
			}
		}
	}
	switch {
	case len(alive) == 1:
		return id(alive[0]), true, nil
	case len(alive) == 0 && len(all) == 1:
		return id(all[0]), true, nil
	case len(all) == 0:
		return "", false, nil
	}
	if len(alive) > 0 {
		all = alive
	}
	idList := make([]string, len(all))
	for i, v := range all {
		idList[i] = id(v)
	}
	return "", false, usageError{fmt.Errorf("%d %ss are named %q: give one's id (%s)", len(all), kind, name, strings.Join(idList, ", "))}
}

// appTokenRef returns what the API takes for the app token ref names: an
// id or a token string as it is, else the id of the app token of that name.
func appTokenRef(ctx context.Context, c *client.Client, ref string) (string, error) {
	if idPattern.MatchString(ref) {
		return ref, nil
	}
	list, err := client.Collect(c.AppTokens(ctx, nil))
	if err != nil {
		return "", err
	}
	id, ok, err := named("app token", ref, list, func(t api.AppToken) string { return t.Name },
		func(t api.AppToken) bool { return !t.Expired }, func(t api.AppToken) string { return t.Id })
	if !ok {
		return ref, err
	}
	return id, nil
}

// tokenRef is appTokenRef for user tokens.
func tokenRef(ctx context.Context, c *client.Client, ref string) (string, error) {
	if idPattern.MatchString(ref) {
		return ref, nil
	}
	list, err := client.Collect(c.Tokens(ctx, nil))
	if err != nil {
		return "", err
	}
	id, ok, err := named("token", ref, list, func(t api.UserToken) string { return str(t.Name) },
		func(t api.UserToken) bool { return !t.Expired }, func(t api.UserToken) string { return t.Id })
	if !ok {
		return ref, err
	}
	return id, nil
}

// userID returns the id of the user ref names (an id or a username), for
// the filters that take an id (tokens list --user, audit --user).
func userID(ctx context.Context, c *client.Client, ref string) (string, error) {
	if ref == "" || idPattern.MatchString(ref) {
		return ref, nil
	}
	r, err := c.GetUserWithResponse(ctx, ref)
	if err != nil {
		return "", err
	}
	return r.JSON200.Id, nil
}

// usernamesByID maps the ids of the tenant's users to their usernames, for
// the USER and ACTOR columns; who may not list users gets its own name.
func usernamesByID(ctx context.Context, c *client.Client) map[string]string {
	m := map[string]string{}
	if list, err := client.Collect(c.Users(ctx, nil)); err == nil {
		for _, u := range list {
			m[u.Id] = u.Username
		}
		return m
	}
	if r, err := c.GetMeWithResponse(ctx); err == nil {
		m[r.JSON200.Id] = r.JSON200.Username
	}
	return m
}

// nameOf prints a user id as its username where m knows it.
func nameOf(m map[string]string, id string) string {
	if n, ok := m[id]; ok {
		return n
	}
	return id
}
