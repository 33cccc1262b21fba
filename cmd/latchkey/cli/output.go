package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/text"
)

// tableWriter prints aligned columns.
type tableWriter struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *tableWriter {
	return &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

// Row writes one line of cells; an empty cell prints as "-". A cell's
// line breaks and tabs are escaped too, so a value cannot add a row or a
// column.
func (t *tableWriter) Row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			c = "-"
		}
		cells[i] = string(escape(nil, []byte(c), "", false))
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

// escape appends s to dst with every character package text refuses in a
// name (controls such as ESC and BEL, format characters such as U+202E,
// separators, private-use and unassigned characters) and every byte of
// invalid UTF-8 written as a visible escape, so that nothing a server
// stored can drive or garble the terminal it is printed on. The characters
// in keep are left as they are (the layout of a stream: "\n\t"). With
// json, the escapes are JSON's (\u001b, a surrogate pair above U+FFFF),
// so JSON stays valid and means the same (such characters can only be in
// its strings); otherwise they are Go's (\x1b, \a, \u202e, \U000e0001, and
// \xff for a byte that is not UTF-8).
func escape(dst, s []byte, keep string, json bool) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		c := s[:n]
		s = s[n:]
		switch {
		case r == utf8.RuneError && n == 1:
			if json {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = fmt.Appendf(dst, `\x%02x`, c[0])
			}
		case !text.Refused(r), strings.ContainsRune(keep, r):
			dst = append(dst, c...)
		case json && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			dst = fmt.Appendf(dst, `\u%04x\u%04x`, r1, r2)
		case json:
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			// Go's escapes: \a, \n, \x1b, \u202e, \U000e0001.
			q := strconv.QuoteRuneToASCII(r)
			dst = append(dst, q[1:len(q)-1]...)
		}
	}
	return dst
}

// escaper is the output layer of every command: it passes what a command
// writes to w through escape, keeping line breaks and tabs. A character
// split across two writes is held until the second.
type escaper struct {
	w    io.Writer
	json *bool  // the --json flag, read at each write
	rest []byte // the start of a character that a later write completes
}

func (e *escaper) Write(p []byte) (int, error) {
	b := append(e.rest, p...)
	e.rest = nil
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i > len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	e.rest = append([]byte(nil), b[cut:]...)
	if _, err := e.w.Write(escape(nil, b[:cut], "\n\t", *e.json)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out a character left incomplete at the end (as bytes that
// are not UTF-8).
func (e *escaper) Flush() error {
	if len(e.rest) == 0 {
		return nil
	}
	_, err := e.w.Write(escape(nil, e.rest, "", *e.json))
	e.rest = nil
	return err
}
