package cli

import (
	"fmt"
	"strconv"
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
			ref, err := appTokenRef(cmd.Context(), c, args[0])
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
