package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// scrape reads the serve's /metrics and returns its unlabelled samples by
// name: the cache counters, and the process's CPU seconds, open file
// descriptors and resident memory, which make figures that do not depend
// on how much of a shared machine the run got.
func scrape(client *http.Client, base *url.URL) (map[string]float64, error) {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + "/metrics"
	resp, err := client.Get(u.String())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s %v", resp.Status, err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}

// Samples of /metrics that loadgen reads.
const (
	metricCPU    = "process_cpu_seconds_total"
	metricFDs    = "process_open_fds"
	metricRSS    = "process_resident_memory_bytes"
	metricHits   = "latchkey_cache_hits_total"
	metricMisses = "latchkey_cache_misses_total"
)

// serverCPU returns the serve's CPU seconds so far (in steps of 10 ms).
func serverCPU(client *http.Client, base *url.URL) (float64, error) {
	s, err := scrape(client, base)
	if err != nil {
		return 0, err
	}
	v, ok := s[metricCPU]
	if !ok {
		return 0, fmt.Errorf("/metrics has no %s", metricCPU)
	}
	return v, nil
}
