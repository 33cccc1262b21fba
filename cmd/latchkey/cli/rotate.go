package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// graceFlag adds --grace to cmd and returns the body of a rotation: no
// grace_seconds when the flag was not given (the server's default, a day).
func graceFlag(cmd *cobra.Command) func() (api.RotateRequest, error) {
	var s string
	cmd.Flags().StringVar(&s, "grace", "", "how long the old token keeps working: seconds or a duration such as 1h or 7d, 0 to end it now (default 1 day, at most 7 days)")
	return func() (api.RotateRequest, error) {
		if !cmd.Flags().Changed("grace") {
			return api.RotateRequest{}, nil
		}
		n, err := parseSeconds(s)
		if err != nil || s == "now" {
			return api.RotateRequest{}, usageError{fmt.Errorf("--grace %q: want seconds or a duration such as 1h or 7d", s)}
		}
		return api.RotateRequest{GraceSeconds: &n}, nil
	}
}

// printRotated prints a successor with its secret, shown this once, and
// when the old token stops working.
func (a *app) printRotated(v any, secretName, secret, id, from string, expires time.Time) error {
	return a.print(v, func(w *tableWriter) {
		w.Row(secretName, secret)
		w.Row("id", id)
		w.Row("rotated from", from)
		w.Row("expires", when(expires))
		w.Row("(the " + secretName + " is shown this once: deploy it before the old one's grace ends)")
	})
}

func (a *app) appTokenRotateCmd() *cobra.Command {
	var grace func() (api.RotateRequest, error)
	cmd := a.run("rotate <name|token>", "Rotate an app token: a successor (printed once) now, the old one ends after --grace", 1,
		[]string{"<name|token>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			body, err := grace()
			if err != nil {
				return err
			}
			ref, err := appTokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.RotateAppTokenWithResponse(cmd.Context(), ref, body)
			if err != nil {
				return err
			}
			t := r.JSON201
			return a.printRotated(t, "app token", t.AppToken, t.Id, str(t.RotatedFrom), t.Expires)
		})
	grace = graceFlag(cmd)
	return cmd
}

func (a *app) tokenRotateCmd() *cobra.Command {
	var grace func() (api.RotateRequest, error)
	cmd := a.run("rotate <token>", "Rotate one of your personal tokens: a successor (printed once) now, the old one ends after --grace", 1,
		[]string{"<token>"}, func(cmd *cobra.Command, c *client.Client, args []string) error {
			body, err := grace()
			if err != nil {
				return err
			}
			ref, err := tokenRef(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			r, err := c.RotateTokenWithResponse(cmd.Context(), ref, body)
			if err != nil {
				return err
			}
			t := r.JSON201
			return a.printRotated(t, "token", t.Token, t.Id, str(t.RotatedFrom), t.Expires)
		})
	grace = graceFlag(cmd)
	return cmd
}
