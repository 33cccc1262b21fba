package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// tableWriter prints aligned columns.
type tableWriter struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *tableWriter {
	return &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

// Row writes one line of cells; an empty cell prints as "-".
func (t *tableWriter) Row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// Flush writes the table out.
func (t *tableWriter) Flush() error { return t.tw.Flush() }

// when prints a time in UTC to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// whenPtr prints an optional time.
func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

// str prints an optional string.
func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// yesNo prints a bool.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
