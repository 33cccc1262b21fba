package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client/api"
)

// expireNow is the seconds_until_expire that expires a token at once.
var expireNow api.Seconds = -1

// rateLimitFlag adds --rate-limit to cmd and returns its parsed value: a
// limit, or for "none" no limit and the request editor that sends
// "rate_limit": null (the generated request types omit a nil limit, which
// means "unchanged" or "the tenant's default"). Not given: nil and no editor.
func rateLimitFlag(cmd *cobra.Command, usage string, required bool) func() (*api.RateLimit, []api.RequestEditorFn, error) {
	var s string
	cmd.Flags().StringVar(&s, "rate-limit", "", usage)
	if required {
		_ = cmd.MarkFlagRequired("rate-limit")
	}
	return func() (*api.RateLimit, []api.RequestEditorFn, error) {
		if !cmd.Flags().Changed("rate-limit") {
			return nil, nil, nil
		}
		if s == "none" {
			return nil, []api.RequestEditorFn{nullRateLimit}, nil
		}
		rl, err := parseRateLimit(s)
		return rl, nil, err
	}
}

// parseRateLimit reads "<requests>/<window>", the window in seconds or a
// duration such as 60s, 1h or 1d.
func parseRateLimit(s string) (*api.RateLimit, error) {
	n, w, ok := strings.Cut(s, "/")
	limit, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || w == "" || w == "now" {
		return nil, usageError{fmt.Errorf("--rate-limit %q: want <requests>/<window>, such as 100/60s or 5000/1h, or none", s)}
	}
	secs, err := parseSeconds(w)
	if err != nil {
		return nil, usageError{fmt.Errorf("--rate-limit %q: want <requests>/<window>, such as 100/60s or 5000/1h, or none", s)}
	}
	return &api.RateLimit{Limit: limit, Seconds: secs}, nil
}

// nullRateLimit rewrites a JSON request body to carry "rate_limit": null.
var nullRateLimit = nullField("rate_limit")

// nullField returns a request editor that rewrites a JSON request body to
// carry field: null, which the generated request types cannot send (they
// omit a nil field, which means "unchanged" or "the default").
func nullField(field string) api.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		body := map[string]any{}
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &body); err != nil {
				return err
			}
		}
		body[field] = nil
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		return nil
	}
}

// rateLimitText shows a rate limit: "100/60s", or "none".
func rateLimitText(rl *api.RateLimit) string {
	if rl == nil {
		return "none"
	}
	return strconv.FormatInt(rl.Limit, 10) + "/" + strconv.FormatInt(rl.Seconds, 10) + "s"
}
