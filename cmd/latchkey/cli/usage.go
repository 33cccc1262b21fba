package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// appTokenUsageCmd is `app-tokens usage <name|id>`: the token's requests
// by hour or day, a table with a total.
func (a *app) appTokenUsageCmd() *cobra.Command {
	var since, until, granularity string
	cmd := a.run("usage <name|id>", "Show an app token's requests by hour or day (ok, denied, rate limited)", 1, []string{"<name|id>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			now := time.Now()
			p := &api.GetAppTokenUsageParams{}
			var err error
			if p.Since, err = timeFlag("since", since, now); err != nil {
				return err
			}
			if p.Until, err = timeFlag("until", until, now); err != nil {
				return err
			}
			switch granularity {
			case "":
			case "hour", "day":
				g := api.GetAppTokenUsageParamsGranularity(granularity)
				p.Granularity = &g
			default:
				return usageError{fmt.Errorf("--granularity: want hour or day, got %q", granularity)}
			}
			ref, err := appTokenByName(cmd.Context(), c, args[0], false)
			if err != nil {
				return err
			}
			r, err := c.GetAppTokenUsageWithResponse(cmd.Context(), ref, p)
			if err != nil {
				return err
			}
			return a.printUsage(r.JSON200)
		})
	cmd.Flags().StringVar(&since, "since", "", "start: an RFC 3339 time, or a duration back from now such as 48h or 7d (default: 24h before --until)")
	cmd.Flags().StringVar(&until, "until", "", "end, exclusive: an RFC 3339 time or a duration back from now (default: now)")
	cmd.Flags().StringVar(&granularity, "granularity", "", "hour (default) or day (UTC days)")
	return cmd
}

func (a *app) printUsage(s *api.UsageSeries) error {
	return a.print(s, func(w *tableWriter) {
		w.Row("START", "OK", "DENIED", "RATE LIMITED")
		var ok, denied, limited int64
		for _, p := range s.Series {
			w.Row(when(p.Start), num(p.Ok), num(p.Denied), num(p.RateLimited))
			ok, denied, limited = ok+p.Ok, denied+p.Denied, limited+p.RateLimited
		}
		w.Row("total", num(ok), num(denied), num(limited))
	})
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// timeFlag reads a time flag: RFC 3339, or a duration (48h, 7d) back from
// now; nil when empty.
func timeFlag(name, s string, now time.Time) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	if secs, err := parseSeconds(s); err == nil && secs > 0 {
		t := now.Add(-time.Duration(secs) * time.Second)
		return &t, nil
	}
	return nil, usageError{fmt.Errorf("--%s: want an RFC 3339 time or a duration such as 48h or 7d, got %q", name, s)}
}

// appTokenByName returns what names the app token arg in the API: arg
// itself when it is an id or a token string, else the id of the one app
// token named arg (of the live ones only, when live: a rotation names a
// token that still works; usage, any), or a usage error saying what is
// wrong. appTokenRef, for the other commands, passes an unknown name on.
func appTokenByName(ctx context.Context, c *client.Client, arg string, live bool) (string, error) {
	if isID(arg) || strings.HasPrefix(arg, "lka_") {
		return arg, nil
	}
	list, err := client.Collect(c.AppTokens(ctx, nil))
	if err != nil {
		return "", err
	}
	var found []string
	for _, t := range list {
		if t.Name == arg && !(live && t.Expired) {
			found = append(found, t.Id)
		}
	}
	what := "app token"
	if live {
		what = "live app token"
	}
	switch len(found) {
	case 0:
		return "", usageError{fmt.Errorf("no %s is named %q: give its id (latchkey app-tokens list)", what, arg)}
	case 1:
		return found[0], nil
	}
	return "", usageError{fmt.Errorf("%d %ss are named %q: give an id (%s)", len(found), what, arg, strings.Join(found, ", "))}
}

// isID reports whether s is a record id: 24 lowercase hex digits.
func isID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
