package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// pct returns the p-quantile (0 ≤ p ≤ 1) of lat: the element at rank
// ⌊p·n⌋ of the sorted latencies (p = 1 is the largest). 0 when lat is
// empty.
func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

// ms formats d in milliseconds with two decimals, as the summary table
// shows latencies.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// perRequest divides seconds of CPU time by n requests.
func perRequest(seconds float64, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return time.Duration(seconds / float64(n) * float64(time.Second))
}

// mannWhitneyZ compares two samples with the Mann–Whitney U test and
// returns its normal approximation z (with the correction for ties): about
// 0 when neither sample tends to be larger, positive when a's values tend
// to be larger than b's. |z| > 1.96 is a difference at the 5 % level.
func mannWhitneyZ(a, b []time.Duration) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	if n1 == 0 || n2 == 0 {
		return 0
	}
	type obs struct {
		v     time.Duration
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int { return cmp.Compare(x.v, y.v) })
	// Ranks from 1, ties sharing the mean of their ranks.
	var rankA, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankA += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u := rankA - n1*(n1+1)/2
	n := n1 + n2
	sd := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	if sd == 0 {
		return 0
	}
	return (u - n1*n2/2) / sd
}

// summary collects the headline figures of a run, printed at the end as a
// Markdown table (scripts/store-bench.sh gathers the rows of every run into
// one table).
type summary struct {
	rows [][4]string
}

// add records a figure with its goal ("" for none) and whether it was met.
func (s *summary) add(what, figure, goal string, met bool) {
	verdict := ""
	if goal != "" {
		verdict = "met"
		if !met {
			verdict = "MISSED"
		}
	}
	s.rows = append(s.rows, [4]string{what, figure, goal, verdict})
}

func (s *summary) print(out io.Writer) {
	fmt.Fprintln(out, "\n| measurement | figure | goal | |")
	fmt.Fprintln(out, "|---|---|---|---|")
	for _, r := range s.rows {
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
	}
}
