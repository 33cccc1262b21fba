package main

import (
	"math"
	"testing"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tlatchkey\nVmPeak:\t 1300000 kB\nVmHWM:\t  270336 kB\nVmRSS:\t   92160 kB\nThreads:\t9\n"
	m, err := parseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.hwm != 264<<20 || m.rss != 90<<20 {
		t.Errorf("got VmHWM %d, VmRSS %d bytes; want %d, %d", m.hwm, m.rss, 264<<20, 90<<20)
	}
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t12 MB\nVmRSS:\t1 kB\n", "VmHWM:\tx kB\nVmRSS:\t1 kB\n", "VmRSS:\t1 kB\n"} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

func TestStoreOps(t *testing.T) {
	const (
		user = `latchkey_store_operation_duration_seconds_count{engine="sqlite",operation="usertokens.FindByID"}`
		app  = `latchkey_store_operation_duration_seconds_count{engine="sqlite",operation="apptokens.FindByID"}`
		sum  = `latchkey_store_operation_duration_seconds_sum{engine="sqlite",operation="apptokens.FindByID"}`
	)
	before := map[string]float64{user: 5, app: 7, sum: 0.1}
	after := map[string]float64{user: 5, app: 9, sum: 0.4, `latchkey_store_operation_duration_seconds_count{engine="sqlite",operation="audit.Insert"}`: 3}
	got := storeOps(before, after)
	if len(got) != 2 || got["apptokens.FindByID"] != 2 || got["audit.Insert"] != 3 {
		t.Errorf("storeOps = %v, want apptokens.FindByID 2, audit.Insert 3 (usertokens.FindByID unchanged, left out)", got)
	}
	if s := opCounts(got); s != "apptokens.FindByID 2, audit.Insert 3" {
		t.Errorf("opCounts = %q", s)
	}
}

func TestBuckets(t *testing.T) {
	const p = `h_bucket{route="/x",le="`
	before := map[string]float64{p + `0.001"}`: 10, p + `0.01"}`: 10, p + `0.1"}`: 10, p + `+Inf"}`: 10}
	after := map[string]float64{p + `0.001"}`: 60, p + `0.01"}`: 108, p + `0.1"}`: 109, p + `+Inf"}`: 110,
		`h_bucket{route="/y",le="0.001"}`: 1000}
	b := buckets(before, after, p)
	want := []bucket{{0.001, 50}, {0.01, 98}, {0.1, 99}, {math.Inf(1), 100}}
	if len(b) != len(want) {
		t.Fatalf("buckets = %v, want %v", b, want)
	}
	for i := range want {
		if b[i] != want[i] {
			t.Errorf("bucket %d = %v, want %v", i, b[i], want[i])
		}
	}
	for q, w := range map[float64]string{.5: "1.00 ms", .98: "10.00 ms", .99: "100.00 ms", .999: "∞"} {
		if got := bound(b, q); got != w {
			t.Errorf("bound(%v) = %s, want %s", q, got, w)
		}
	}
}

func TestStatusCounts(t *testing.T) {
	if s := statusCounts(map[int]int{503: 2, 200: 10, 401: 1}); s != "200: 10, 401: 1, 503: 2" {
		t.Errorf("statusCounts = %q", s)
	}
	if s := statusCounts(nil); s != "none" {
		t.Errorf("statusCounts(nil) = %q", s)
	}
}
