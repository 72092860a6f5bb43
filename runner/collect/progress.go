package collect

import (
	"fmt"
	"strings"
	"time"
)

// FormatProgress renders one terminal progress line, for example
// "load  sent 1200/2000  processed 950  dlq 3  12.4s". Counts that are
// usually zero (invalid, duplicates) appear only when they are not.
func FormatProgress(phase string, p Progress, elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(phase)
	fmt.Fprintf(&b, "  sent %d", p.Sent)
	if p.Expected > 0 {
		fmt.Fprintf(&b, "/%d", p.Expected)
	}
	fmt.Fprintf(&b, "  processed %d  dlq %d", p.Processed, p.DeadLettered)
	if p.Invalid > 0 {
		fmt.Fprintf(&b, "  invalid %d", p.Invalid)
	}
	if p.Duplicates > 0 {
		fmt.Fprintf(&b, "  dup %d", p.Duplicates)
	}
	fmt.Fprintf(&b, "  %.1fs", elapsed.Seconds())
	return b.String()
}
