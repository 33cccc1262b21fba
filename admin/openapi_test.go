package admin_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/latchkey/latchkey/admin/apidoc"
	"github.com/latchkey/latchkey/internal/testserver"
)

// TestOpenAPIMatchesRouter keeps the OpenAPI description true: every route
// the router serves under /api/v1 is described, and nothing else is.
func TestOpenAPIMatchesRouter(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(apidoc.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	methods := map[string]bool{"get": true, "post": true, "put": true, "patch": true, "delete": true}
	var described []string
	for path, ops := range doc.Paths {
		for m := range ops {
			if methods[m] {
				described = append(described, strings.ToUpper(m)+" "+path)
			}
		}
	}
	s := testserver.Start(t)
	param := regexp.MustCompile(`:([a-z_]+)`)
	var served []string
	for _, r := range s.App.Routes() {
		if p, ok := strings.CutPrefix(r.Path, "/api/v1"); ok {
			served = append(served, r.Method+" "+param.ReplaceAllString(p, "{$1}"))
		}
	}
	slices.Sort(described)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(described, r) {
			t.Errorf("route %s is served but not in openapi.yaml", r)
		}
	}
	for _, r := range described {
		if !slices.Contains(served, r) {
			t.Errorf("openapi.yaml describes %s, which the router does not serve", r)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	s := testserver.Start(t)
	r := s.Must(t, http.StatusOK, testserver.Request{Method: "GET", Path: "/api/v1/openapi.yaml", AppToken: s.AppToken})
	if got, want := string(r.Body), string(apidoc.OpenAPI); got != want {
		t.Errorf("served document differs from the embedded one (%d vs %d bytes)", len(got), len(want))
	}
	if got := s.Do(t, testserver.Request{Method: "GET", Path: "/api/v1/openapi.yaml"}).Status; got != http.StatusUnauthorized {
		t.Errorf("without App-Token: got %d, want 401", got)
	}
}
