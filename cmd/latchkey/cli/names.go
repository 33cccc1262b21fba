package cli

import (
	"context"
	"fmt"
	"iter"
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

// completionLimit bounds how many names a completion fetches, and
// completionScan how many records one that filters them reads.
const (
	completionLimit = 200
	completionScan  = 1000
)

// names lists the names an argument may take that start with prefix.
type names func(ctx context.Context, c *client.Client, prefix string) ([]string, error)

// completeArgs makes every subcommand of group that takes an argument
// complete it with list: latchkey users get <TAB> offers usernames.
func (a *app) completeArgs(group *cobra.Command, list names) {
	for _, sub := range group.Commands() {
		if strings.Contains(sub.Use, "<") {
			a.completeWith(list, sub)
		}
	}
}

// completeWith makes each of cmds complete its first argument with list.
func (a *app) completeWith(list names, cmds ...*cobra.Command) {
	for _, cmd := range cmds {
		complete := a.completeFlag(list)
		cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return complete(cmd, args, prefix)
		}
	}
}

// completeFlag returns a completion of the names list offers, asked of
// the server logged in to; nothing when that fails.
func (a *app) completeFlag(list names) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
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

// finder says how to find a record of one kind by the name people know
// it by: what the records are called, how to list them, and which are live.
type finder[T any] struct {
	kind    string // "app token"
	is, are string // "is named", "are named"
	list    string // the command that lists them
	name    func(T) string
	id      func(T) string
	live    func(T) bool
}

// lookup returns what the API takes for ref, a record f finds in all: ref
// itself when it is an id or shaped like a token string (a leaked string
// finds its token), else the id of the record called ref (the live one
// where expired ones share the name). The one lookup of every command
// that takes a name: a name nothing has is a not-found error (exit 4),
// one that several live records share a usage error naming their ids.
func lookup[T any](f finder[T], ref string, all iter.Seq2[T, error]) (string, error) {
	if ref == "" {
		return "", usageError{fmt.Errorf("an empty %s: give its name or its id", f.kind)}
	}
	if idPattern.MatchString(ref) || looksLikeToken(ref) {
		return ref, nil
	}
	list, err := client.Collect(all)
	if err != nil {
		return "", err
	}
	var found, alive []T
	for _, v := range list {
		if f.name(v) == ref {
			found = append(found, v)
			if f.live(v) {
				alive = append(alive, v)
			}
		}
	}
	if len(alive) > 0 {
		found = alive
	}
	switch len(found) {
	case 0:
		return "", notFoundError{fmt.Errorf("no %s %s %q (%s shows them; an id works too)", f.kind, f.is, ref, f.list)}
	case 1:
		return f.id(found[0]), nil
	}
	idList := make([]string, len(found))
	for i, v := range found {
		idList[i] = f.id(v)
	}
	return "", usageError{fmt.Errorf("%d %ss %s %q: give one's id (%s)", len(found), f.kind, f.are, ref, strings.Join(idList, ", "))}
}

// looksLikeToken reports whether s is shaped like a token string of any
// kind (lka_…, lku_…, lkr_…): the API finds the token it names, or
// answers 404, and the string is never echoed in an error of the CLI's.
func looksLikeToken(s string) bool {
	return len(s) > 4 && s[3] == '_' && strings.HasPrefix(s, "lk")
}

var appTokenFinder = finder[api.AppToken]{kind: "app token", is: "is named", are: "are named", list: "latchkey app-tokens list",
	name: func(t api.AppToken) string { return t.Name }, id: func(t api.AppToken) string { return t.Id },
	live: func(t api.AppToken) bool { return !t.Expired }}

var tokenFinder = finder[api.UserToken]{kind: "token", is: "is named", are: "are named", list: "latchkey tokens list",
	name: func(t api.UserToken) string { return str(t.Name) }, id: func(t api.UserToken) string { return t.Id },
	live: func(t api.UserToken) bool { return !t.Expired }}

// appTokenRef returns what the API takes for the app token ref names: a
// name, an id or a token string (lookup).
func appTokenRef(ctx context.Context, c *client.Client, ref string) (string, error) {
	return lookup(appTokenFinder, ref, c.AppTokens(ctx, nil))
}

// tokenRef is appTokenRef for user tokens.
func tokenRef(ctx context.Context, c *client.Client, ref string) (string, error) {
	return lookup(tokenFinder, ref, c.Tokens(ctx, nil))
}

// userID returns the id of the user ref names (an id or a username), for
// the flags whose API field takes an id (tokens list and create --user,
// audit --user).
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
