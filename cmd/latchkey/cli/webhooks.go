package cli

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/client/api"
)

// A webhook has no name: people know it by its URL, which names it where
// one endpoint has it (several endpoints may share a URL, with other
// events: then its id is asked for).
var webhookFinder = finder[api.Webhook]{kind: "webhook", is: "has the URL", are: "have the URL", list: "latchkey webhooks list",
	name: func(w api.Webhook) string { return w.Url }, id: func(w api.Webhook) string { return w.Id },
	live: func(api.Webhook) bool { return true }}

// webhooks iterates over the tenant's webhooks, every page.
func webhooks(ctx context.Context, c *client.Client) iter.Seq2[api.Webhook, error] {
	return client.All(ctx, func(ctx context.Context, cursor *string) ([]api.Webhook, *string, error) {
		r, err := c.ListWebhooksWithResponse(ctx, &api.ListWebhooksParams{Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// deliveries iterates over a webhook's deliveries, newest first.
func deliveries(ctx context.Context, c *client.Client, id string) iter.Seq2[api.Delivery, error] {
	return client.All(ctx, func(ctx context.Context, cursor *string) ([]api.Delivery, *string, error) {
		r, err := c.ListDeliveriesWithResponse(ctx, id, &api.ListDeliveriesParams{Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Items, r.JSON200.NextCursor, nil
	})
}

// webhookRef returns the id of the webhook ref names: an id, or the URL
// of one webhook (lookup).
func webhookRef(ctx context.Context, c *client.Client, ref string) (string, error) {
	return lookup(webhookFinder, ref, webhooks(ctx, c))
}

// webhookIDs offers the webhooks' ids, each described by its URL.
func webhookIDs(ctx context.Context, c *client.Client, prefix string) ([]string, error) {
	list, err := take(ctx, webhooks(ctx, c), func(w api.Webhook) bool { return strings.HasPrefix(w.Id, prefix) })
	out := make([]string, 0, len(list))
	for _, w := range list {
		out = append(out, w.Id+"\t"+w.Url)
	}
	return out, err
}

func (a *app) printWebhook(ctx context.Context, c *client.Client, w *api.Webhook) error {
	var byID map[string]string
	if !a.json && w.CreatedBy != nil {
		byID = usernamesByID(ctx, c)
	}
	return a.print(w, func(t *tableWriter) {
		t.Row("id", w.Id)
		t.Row("url", w.Url)
		t.Row("events", strings.Join(w.Events, ","))
		t.Row("description", w.Description)
		t.Row("status", string(w.Status))
		t.Row("failing since", whenPtr(w.FailingSince))
		t.Row("created", when(w.Created))
		t.Row("created by", nameOf(byID, str(w.CreatedBy)))
		t.Row("updated", when(w.Updated))
	})
}

func (a *app) printDeliveries(list []api.Delivery) error {
	return a.print(list, func(w *tableWriter) {
		w.Row("ID", "TYPE", "STATUS", "ATTEMPTS", "LAST STATUS", "NEXT ATTEMPT", "CREATED", "LAST ERROR")
		for _, d := range list {
			w.Row(d.Id, d.Type, string(d.Status), strconv.Itoa(d.Attempts), statusCode(d.LastStatusCode),
				whenPtr(d.NextAttempt), when(d.Created), d.LastError)
		}
	})
}

func (a *app) printDelivery(d *api.Delivery) error {
	return a.print(d, func(w *tableWriter) {
		w.Row("id", d.Id)
		w.Row("webhook", d.Webhook)
		w.Row("type", d.Type)
		w.Row("status", string(d.Status))
		w.Row("attempts", strconv.Itoa(d.Attempts))
		w.Row("last status", statusCode(d.LastStatusCode))
		w.Row("last error", d.LastError)
		w.Row("next attempt", whenPtr(d.NextAttempt))
		w.Row("created", when(d.Created))
	})
}

// statusCode shows the HTTP status of a delivery's last attempt; none
// (0) prints as "-".
func statusCode(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// webhookRun builds a command whose first argument is a webhook, by id
// or URL, resolved before do runs.
func (a *app) webhookRun(use, short string, n int, argNames []string, do func(cmd *cobra.Command, c *client.Client, id string, args []string) error) *cobra.Command {
	cmd := a.run(use, short, n, argNames, func(cmd *cobra.Command, c *client.Client, args []string) error {
		id, err := webhookRef(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		return do(cmd, c, id, args)
	})
	a.completeWith(webhookIDs, cmd)
	return cmd
}

// webhooksCmd is `latchkey webhooks`.
func (a *app) webhooksCmd() *cobra.Command {
	cmd := group("webhooks", "The tenant's webhook endpoints and their deliveries (owners and admins)")
	cmd.AddCommand(
		a.run("list", "List the tenant's webhooks (never their secrets)", 0, nil, func(cmd *cobra.Command, c *client.Client, _ []string) error {
			list, err := client.Collect(webhooks(cmd.Context(), c))
			if err != nil {
				return err
			}
			return a.print(list, func(w *tableWriter) {
				w.Row("ID", "URL", "EVENTS", "STATUS", "FAILING SINCE", "DESCRIPTION")
				for _, h := range list {
					w.Row(h.Id, h.Url, strings.Join(h.Events, ","), string(h.Status), whenPtr(h.FailingSince), h.Description)
				}
			})
		}),
		a.webhookCreateCmd(),
		a.webhookRun("get <webhook>", "Show a webhook, by id or URL", 1, []string{"<webhook>"},
			func(cmd *cobra.Command, c *client.Client, id string, _ []string) error {
				r, err := c.GetWebhookWithResponse(cmd.Context(), id)
				if err != nil {
					return err
				}
				return a.printWebhook(cmd.Context(), c, r.JSON200)
			}),
		a.webhookUpdateCmd(),
		a.webhookRun("delete <webhook>", "Delete a webhook and its deliveries", 1, []string{"<webhook>"},
			func(cmd *cobra.Command, c *client.Client, id string, _ []string) error {
				if _, err := c.DeleteWebhookWithResponse(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, "Deleted webhook", id+".")
				return nil
			}),
		a.webhookDeliveriesCmd(),
		a.webhookRetryCmd(),
		a.webhookRun("ping <webhook>", "Send the webhook a webhook.ping event now", 1, []string{"<webhook>"},
			func(cmd *cobra.Command, c *client.Client, id string, _ []string) error {
				r, err := c.PingWebhookWithResponse(cmd.Context(), id)
				if err != nil {
					return err
				}
				return a.printDelivery(r.JSON202)
			}),
	)
	return cmd
}

func (a *app) webhookCreateCmd() *cobra.Command {
	var events []string
	var description string
	cmd := a.run("create <url>", "Register a webhook endpoint; its signing secret is printed once", 1, []string{"<url>"},
		func(cmd *cobra.Command, c *client.Client, args []string) error {
			req := api.NewWebhookRequest{Url: args[0], Events: events}
			if description != "" {
				req.Description = &description
			}
			r, err := c.CreateWebhookWithResponse(cmd.Context(), req)
			if err != nil {
				return err
			}
			w := r.JSON201
			return a.print(w, func(t *tableWriter) {
				t.Row("secret", w.Secret)
				t.Row("id", w.Id)
				t.Row("url", w.Url)
				t.Row("events", strings.Join(w.Events, ","))
				t.Row("status", string(w.Status))
				t.Row("(the signing secret is shown this once and will not be shown again: keep it safe)")
			})
		})
	cmd.Flags().StringSliceVar(&events, "event", nil, "an event pattern such as app_token.* or token.expired (repeatable, or comma-separated)")
	cmd.Flags().StringVar(&description, "description", "", "what the endpoint is for")
	_ = cmd.MarkFlagRequired("event")
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	return cmd
}

func (a *app) webhookUpdateCmd() *cobra.Command {
	var url, description, status string
	var events []string
	cmd := a.webhookRun("update <webhook>", "Change a webhook's URL, events, description or status (enabled, disabled)", 1, []string{"<webhook>"},
		func(cmd *cobra.Command, c *client.Client, id string, _ []string) error {
			var p api.WebhookPatch
			changed := cmd.Flags().Changed
			if changed("url") {
				p.Url = &url
			}
			if changed("event") {
				p.Events = &events
			}
			if changed("description") {
				p.Description = &description
			}
			if changed("status") {
				s := api.WebhookPatchStatus(status)
				p.Status = &s
			}
			if p == (api.WebhookPatch{}) {
				return usageError{fmt.Errorf("nothing to change: give --url, --event, --description or --status")}
			}
			r, err := c.UpdateWebhookWithResponse(cmd.Context(), id, p)
			if err != nil {
				return err
			}
			return a.printWebhook(cmd.Context(), c, r.JSON200)
		})
	cmd.Flags().StringVar(&url, "url", "", "the endpoint's new URL")
	cmd.Flags().StringSliceVar(&events, "event", nil, "the event patterns from now on (repeatable, or comma-separated): they replace the webhook's")
	cmd.Flags().StringVar(&description, "description", "", "what the endpoint is for")
	cmd.Flags().StringVar(&status, "status", "", "enabled (which forgets its failures) or disabled")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]cobra.Completion{"enabled", "disabled"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) webhookDeliveriesCmd() *cobra.Command {
	var limit int
	cmd := a.webhookRun("deliveries <webhook>", "List a webhook's deliveries, newest first: status, attempts, last status code, next attempt", 1,
		[]string{"<webhook>"}, func(cmd *cobra.Command, c *client.Client, id string, _ []string) error {
			var list []api.Delivery
			for d, err := range deliveries(cmd.Context(), c, id) {
				if err != nil {
					return err
				}
				if list = append(list, d); len(list) == limit {
					break
				}
			}
			return a.printDeliveries(list)
		})
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many deliveries (0: all)")
	return cmd
}

func (a *app) webhookRetryCmd() *cobra.Command {
	cmd := a.webhookRun("retry <webhook> <delivery>", "Send a failed delivery again, now", 2, []string{"<webhook>", "<delivery>"},
		func(cmd *cobra.Command, c *client.Client, id string, args []string) error {
			r, err := c.RetryDeliveryWithResponse(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printDelivery(r.JSON202)
		})
	// The delivery: the failed ones among the webhook's newest deliveries.
	first := cmd.ValidArgsFunction
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) != 1 {
			return first(cmd, args, prefix)
		}
		c, err := a.client(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		id, err := webhookRef(cmd.Context(), c, args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		seen := 0
		for d, err := range deliveries(cmd.Context(), c, id) {
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			if d.Status == api.Failed && strings.HasPrefix(d.Id, prefix) {
				out = append(out, d.Id+"\t"+d.Type)
			}
			if seen++; seen == completionScan || len(out) == completionLimit {
				break
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}
