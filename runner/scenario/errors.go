package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a scenario file.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem is not at one place
	Column int // 1-based; 0 when unknown
	Field  string
	Msg    string
}

// Error formats as FILE:LINE:COLUMN: FIELD: MSG, leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a file, in the order of the file.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Column < l[j].Column
	})
	return l
}

// errOrNil returns nil for an empty list, so callers can compare with nil.
func (l ErrorList) errOrNil() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

// dedupe drops repeated problems (a case of the matrix repeats the
// problems of the scenario it was expanded from).
func (l ErrorList) dedupe() ErrorList {
	seen := map[string]bool{}
	out := l[:0:0]
	for _, e := range l {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
