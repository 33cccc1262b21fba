package gatewaytest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
)

// Echo is an upstream that answers every request with what it received:
// {"method", "path", "query", "headers", "body"}, and counts the requests.
type Echo struct {
	hits atomic.Int64
}

// Received is the body of Echo's answer.
type Received struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// Hits returns how many requests reached Echo.
func (e *Echo) Hits() int64 { return e.hits.Load() }

func (e *Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.hits.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Received{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Headers: r.Header, Body: string(body)})
}
