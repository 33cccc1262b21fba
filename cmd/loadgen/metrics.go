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

// scrape reads the serve's /metrics and returns its samples by series
// (the name, and its labels as the serve wrote them, e.g.
// `latchkey_store_operation_duration_seconds_count{engine="sqlite",operation="usertokens.FindByID"}`):
// the cache and store counters, and the process's CPU seconds, open file
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
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ') // a label value may hold spaces, a sample's value none
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		name, v := line[:i], line[i+1:]
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
