package monitor

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"
)

// Level is a queue's colour.
type Level int

const (
	Green Level = iota
	Yellow
	Red
)

func (l Level) String() string {
	switch l {
	case Yellow:
		return "yellow"
	case Red:
		return "red"
	}
	return "green"
}

const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiRed     = "\x1b[31m"
	ansiHome    = "\x1b[H"
	ansiClear   = "\x1b[2J"
	ansiClrLine = "\x1b[K"
	ansiClrDown = "\x1b[J"
)

func (l Level) ansi() string {
	switch l {
	case Yellow:
		return ansiYellow
	case Red:
		return ansiRed
	}
	return ansiGreen
}

// IsDeadLetterQueue guesses from the name, as people name them: orders-dlq,
// orders_DLQ, orders-dead-letter.
func IsDeadLetterQueue(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, ".fifo"))
	return strings.HasSuffix(n, "dlq") || strings.Contains(n, "dead-letter") || strings.Contains(n, "deadletter")
}

// Judge returns a queue's level and the flags that set it.
func Judge(q QueueState, th Thresholds) (Level, []string) {
	if q.Err != "" {
		return Red, []string{"error"}
	}
	level := Green
	var flags []string
	raise := func(l Level, flag string) {
		level = max(level, l)
		flags = append(flags, flag)
	}
	total := q.Total()
	switch {
	case th.BacklogRed > 0 && total >= th.BacklogRed:
		raise(Red, fmt.Sprintf("backlog>=%d", th.BacklogRed))
	case th.Backlog > 0 && total >= th.Backlog:
		raise(Yellow, fmt.Sprintf("backlog>=%d", th.Backlog))
	}
	if IsDeadLetterQueue(q.Name) && total > 0 {
		raise(Red, "dead-letters")
	}
	if q.HasRate && q.Rate > 0 && !IsDeadLetterQueue(q.Name) {
		raise(Yellow, "growing")
	}
	if th.StalledAfter > 0 && q.StalledFor >= th.StalledAfter {
		raise(Yellow, "stalled")
	}
	return level, flags
}

// rateText shows the rate with its direction: ↓ draining, ↑ growing.
func rateText(q QueueState) string {
	if !q.HasRate {
		return "-"
	}
	r := q.Rate
	arrow := "→"
	switch {
	case r < 0:
		arrow = "↓"
	case r > 0:
		arrow = "↑"
	}
	return fmt.Sprintf("%s %s/s", arrow, trimFloat(math.Abs(r)))
}

func trimFloat(v float64) string {
	if v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// Render writes one refresh: in interactive mode it redraws the table in
// place, otherwise it appends one plain line per queue.
func (m *Monitor) Render(s Snapshot) error {
	var buf bytes.Buffer
	if m.opts.Interactive {
		m.renderTable(&buf, s)
	} else {
		renderPlain(&buf, s, m.opts.Thresholds)
	}
	_, err := m.w.Write(buf.Bytes())
	return err
}

func (m *Monitor) renderTable(b *bytes.Buffer, s Snapshot) {
	th := m.opts.Thresholds
	m.mu.Lock()
	if !m.drawn {
		// Later frames overwrite this one in place, so they never scroll.
		b.WriteString(ansiClear)
		m.drawn = true
	}
	m.mu.Unlock()
	b.WriteString(ansiHome)
	line := func(format string, args ...any) {
		fmt.Fprintf(b, format, args...)
		b.WriteString(ansiClrLine + "\n")
	}
	title := "sqsperf monitor"
	if m.opts.Title != "" {
		title += "  " + m.opts.Title
	}
	line("%s%s%s  %s  every %s, Ctrl-C to stop", ansiBold, title, ansiReset, s.At.Format("15:04:05"), m.opts.Interval)
	if s.Err != "" {
		line("%s%s%s", ansiRed, s.Err, ansiReset)
	}
	width := len("QUEUE")
	for _, q := range s.Queues {
		width = max(width, len(q.Name))
	}
	line("%s%-*s %9s %9s %9s %9s  %-12s %s%s", ansiBold, width, "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "TOTAL", "RATE", "FLAGS", ansiReset)
	if len(s.Queues) == 0 && s.Err == "" {
		line("(no queues)")
	}
	for _, q := range s.Queues {
		level, flags := Judge(q, th)
		if q.Err != "" {
			line("%s%-*s %s%s", level.ansi(), width, q.Name, q.Err, ansiReset)
			continue
		}
		// Pad the rate by runes: the arrows are multi-byte.
		rate := rateText(q)
		rate += strings.Repeat(" ", max(0, 12-len([]rune(rate))))
		line("%s%-*s %9d %9d %9d %9d  %s %s%s", level.ansi(), width, q.Name,
			q.Visible, q.InFlight, q.Delayed, q.Total(), rate, strings.Join(flags, " "), ansiReset)
	}
	line("%sgreen%s below %d in total, %syellow%s from %d or growing or stalled, %sred%s from %d or dead letters",
		ansiGreen, ansiReset, th.Backlog, ansiYellow, ansiReset, th.Backlog, ansiRed, ansiReset, th.BacklogRed)
	b.WriteString(ansiClrDown)
}

func renderPlain(b *bytes.Buffer, s Snapshot, th Thresholds) {
	at := s.At.Format(time.TimeOnly)
	if s.Err != "" {
		fmt.Fprintf(b, "%s error: %s\n", at, s.Err)
	}
	for _, q := range s.Queues {
		level, flags := Judge(q, th)
		if q.Err != "" {
			fmt.Fprintf(b, "%s %s status=%s error=%q\n", at, q.Name, level, q.Err)
			continue
		}
		fmt.Fprintf(b, "%s %s visible=%d in_flight=%d delayed=%d total=%d rate=%s status=%s",
			at, q.Name, q.Visible, q.InFlight, q.Delayed, q.Total(), strings.ReplaceAll(rateText(q), " ", ""), level)
		if len(flags) > 0 {
			fmt.Fprintf(b, " flags=%s", strings.Join(flags, ","))
		}
		b.WriteByte('\n')
	}
}
