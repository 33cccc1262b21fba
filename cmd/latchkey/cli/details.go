package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client/api"
)

// detailFlags are the flags of an app token's scopes and metadata:
// --scope, --meta and --external-id on create and update,
// and on update --unrestricted and --no-meta, which send null.
type detailFlags struct {
	cmd          *cobra.Command
	scopes, meta []string
	externalID   string
	unrestricted bool
	noMeta       bool
}

// addDetailFlags adds the detail flags to cmd; update adds the ones that
// clear a value.
func (a *app) addDetailFlags(cmd *cobra.Command, update bool) *detailFlags {
	f := &detailFlags{cmd: cmd}
	scopeUsage := "a catalog scope the token may use (repeatable, or comma-separated; default: unrestricted)"
	metaUsage := "metadata as key=value, a string value (repeatable)"
	if update {
		scopeUsage = "the token's scopes from now on (repeatable, or comma-separated): they replace its scopes"
		metaUsage = "metadata as key=value (repeatable): they replace the token's meta object"
		cmd.Flags().BoolVar(&f.unrestricted, "unrestricted", false, "make the token unrestricted (scopes null)")
		cmd.Flags().BoolVar(&f.noMeta, "no-meta", false, "remove the token's meta object")
	}
	cmd.Flags().StringSliceVar(&f.scopes, "scope", nil, scopeUsage)
	cmd.Flags().StringArrayVar(&f.meta, "meta", nil, metaUsage)
	cmd.Flags().StringVar(&f.externalID, "external-id", "", "the platform's own id for the customer or app (at most 128 characters; \"\" removes it)")
	_ = cmd.RegisterFlagCompletionFunc("scope", a.completeFlag(scopeNames))
	return f
}

// details is what the detail flags ask for: nil fields stay as they are
// (the token's defaults at creation), and nulls lists the fields to send
// as null.
type details struct {
	scopes     *[]string
	meta       *map[string]any
	externalID *string
	nulls      []string
}

// any reports whether d changes anything.
func (d details) any() bool {
	return d.scopes != nil || d.meta != nil || d.externalID != nil || len(d.nulls) > 0
}

// edits returns the request editors that send d's nulls.
func (d details) edits() []api.RequestEditorFn {
	var out []api.RequestEditorFn
	for _, f := range d.nulls {
		out = append(out, nullField(f))
	}
	return out
}

// read returns what the flags ask for, or a usage error.
func (f *detailFlags) read() (details, error) {
	var d details
	changed := f.cmd.Flags().Changed
	switch {
	case f.unrestricted && changed("scope"):
		return d, usageError{fmt.Errorf("--scope and --unrestricted: give one")}
	case f.noMeta && changed("meta"):
		return d, usageError{fmt.Errorf("--meta and --no-meta: give one")}
	}
	if changed("scope") {
		if err := checkScopeFlag(f.scopes); err != nil {
			return d, err
		}
		d.scopes = &f.scopes
	}
	if f.unrestricted {
		d.nulls = append(d.nulls, "scopes")
	}
	if changed("meta") {
		m, err := parseMeta(f.meta)
		if err != nil {
			return d, err
		}
		d.meta = &m
	}
	if f.noMeta {
		d.nulls = append(d.nulls, "meta")
	}
	if changed("external-id") {
		d.externalID = &f.externalID
	}
	return d, nil
}

// checkScopeFlag refuses an empty name in the --scope flags given (an
// empty list would make a token that may use no scope at all).
func checkScopeFlag(names []string) error {
	if len(names) == 0 || slices.Contains(names, "") {
		return usageError{fmt.Errorf("--scope: want a scope name, got an empty one")}
	}
	return nil
}

// parseMeta reads --meta key=value flags into a meta object of strings.
func parseMeta(pairs []string) (map[string]any, error) {
	m := make(map[string]any, len(pairs))
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--meta %q: want key=value, such as plan=gold", kv)}
		}
		if _, dup := m[k]; dup {
			return nil, usageError{fmt.Errorf("--meta: the key %q is given twice", k)}
		}
		m[k] = v
	}
	return m, nil
}

// scopesText shows a token's scopes: "unrestricted" for null, "none" for
// an empty list, else the names separated by commas.
func scopesText(s *[]string) string {
	switch {
	case s == nil:
		return "unrestricted"
	case len(*s) == 0:
		return "none"
	}
	return strings.Join(*s, ",")
}

// metaText shows a meta object as compact JSON, keys sorted.
func metaText(m *map[string]any) string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(*m); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}
