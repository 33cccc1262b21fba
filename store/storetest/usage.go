package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/usage"
)

// testUsage checks the usage buckets: shares of several instances (slots)
// add up on read, a slot written again (a later flush of one instance)
// counts once with its latest counts, ranges are [since, until), totals
// per token, tenants are apart, the purge deletes old buckets only, and a
// deleted tenant is not made again by a flush.
func testUsage(t *testing.T, open Opener) {
	e := newEnv(t, open)
	st, tid := e.st.Usage(), e.tenant.ID
	h0 := e.now().Truncate(time.Hour)
	h1 := h0.Add(time.Hour)
	tokA, tokB := ids.New(), ids.New()
	slotA, slotB, slotB1 := ids.New(), ids.New(), ids.New()
	row := func(slot, tok ids.ID, start time.Time, delta, total usage.Counts) usage.Row {
		return usage.Row{Slot: slot, AppTokenID: tok, Start: start, Delta: delta, Total: total}
	}
	// Instance A flushes twice (2 then 1 more ok), instance B once.
	must(t, "add A", st.Add(e.ctx, tid, []usage.Row{row(slotA, tokA, h0, usage.Counts{2, 0, 0}, usage.Counts{2, 0, 0})}))
	must(t, "add B", st.Add(e.ctx, tid, []usage.Row{
		row(slotB, tokA, h0, usage.Counts{3, 1, 0}, usage.Counts{3, 1, 0}),
		row(slotB1, tokA, h1, usage.Counts{0, 0, 4}, usage.Counts{0, 0, 4}),
		row(ids.New(), tokB, h1, usage.Counts{1, 0, 0}, usage.Counts{1, 0, 0}),
	}))
	must(t, "add A again", st.Add(e.ctx, tid, []usage.Row{row(slotA, tokA, h0, usage.Counts{1, 0, 0}, usage.Counts{3, 0, 0})}))

	hours, err := st.Hours(e.ctx, tid, tokA, h0, h1.Add(time.Hour))
	must(t, "hours", err)
	want := []usage.Bucket{{Start: h0, Counts: usage.Counts{6, 1, 0}}, {Start: h1, Counts: usage.Counts{0, 0, 4}}}
	if !slices.EqualFunc(hours, want, func(a, b usage.Bucket) bool { return a.Start.Equal(b.Start) && a.Counts == b.Counts }) {
		t.Fatalf("got hours %+v, want %+v", hours, want)
	}
	// until is exclusive, since inclusive.
	if hours, err = st.Hours(e.ctx, tid, tokA, h1, h1); err != nil || len(hours) != 0 {
		t.Fatalf("an empty range: got %+v, %v", hours, err)
	}
	if hours, err = st.Hours(e.ctx, tid, tokA, h1, h1.Add(time.Hour)); err != nil || len(hours) != 1 || hours[0].Counts != (usage.Counts{0, 0, 4}) {
		t.Fatalf("the second hour alone: got %+v, %v", hours, err)
	}

	totals, err := st.Totals(e.ctx, tid, h0, h1.Add(time.Hour))
	must(t, "totals", err)
	got := map[ids.ID]usage.Counts{}
	for _, tc := range totals {
		got[tc.AppTokenID] = tc.Counts
	}
	if len(got) != 2 || got[tokA] != (usage.Counts{6, 1, 4}) || got[tokB] != (usage.Counts{1, 0, 0}) {
		t.Fatalf("got totals %+v", totals)
	}
	if totals, err = st.Totals(e.ctx, tid, h1, h1.Add(time.Hour)); err != nil || len(totals) != 2 {
		t.Fatalf("totals of the second hour: got %+v, %v", totals, err)
	}

	// Another tenant sees none of it.
	other := e.newTenant(t, "globex")
	if totals, err = st.Totals(e.ctx, other.ID, h0, h1.Add(time.Hour)); err != nil || len(totals) != 0 {
		t.Fatalf("another tenant: got %+v, %v", totals, err)
	}

	// The purge deletes the buckets that started before the cutoff.
	n, err := st.Purge(e.ctx, tid, h1)
	must(t, "purge", err)
	if n < 1 {
		t.Fatalf("purged %d records, want at least the first hour's", n)
	}
	if hours, err = st.Hours(e.ctx, tid, tokA, h0, h1.Add(time.Hour)); err != nil || len(hours) != 1 || !hours[0].Start.Equal(h1) {
		t.Fatalf("after the purge: got %+v, %v", hours, err)
	}

	// A flush into a tenant deleted meanwhile is no error and leaves nothing.
	gone := e.newTenant(t, "gone")
	must(t, "delete tenant", e.st.Tenants().Delete(e.ctx, gone.ID))
	must(t, "add to a deleted tenant", st.Add(e.ctx, gone.ID, []usage.Row{row(ids.New(), tokA, h0, usage.Counts{1}, usage.Counts{1})}))
	if totals, err = st.Totals(e.ctx, gone.ID, h0, h1); err != nil || len(totals) != 0 {
		t.Fatalf("a deleted tenant: got %+v, %v", totals, err)
	}
}
