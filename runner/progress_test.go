package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// fakeClock advances only when told, so durations in lines are exact.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFakeTracker(w *bytes.Buffer, total int, color bool) (*ProgressTracker, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	tr := NewProgressTracker(w, total, color)
	tr.now = clock.now
	return tr, clock
}

// Not on a terminal (CI, 2>log): one plain line per phase with that
// phase's own duration, not its start offset, and no \r or escapes.
func TestProgressPlainLinesShowPhaseDurations(t *testing.T) {
	var buf bytes.Buffer
	tr, clock := newFakeTracker(&buf, 0, true)
	p := newProgress(tr, false, "stress")
	p.phase("backend")
	clock.advance(500 * time.Millisecond)
	p.phase("load")
	clock.advance(2 * time.Second)
	p.phase("shutdown")
	clock.advance(250 * time.Millisecond)
	p.finish()
	assert.Equal(t, "stress: backend 0.50s\nstress: load 2.00s\nstress: shutdown 0.25s\nstress: done in 2.8s\n", buf.String())
	assert.NotContains(t, buf.String(), "\r")
	assert.NotContains(t, buf.String(), "\033")
}

// A plain writer (a library caller) gets the same lines, without ETA.
func TestProgressWithoutTrackerStillPlain(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false, "tiny")
	clock := &fakeClock{t: p.started}
	p.now = clock.now
	p.phase("load")
	clock.advance(time.Second)
	p.finish()
	assert.Equal(t, "tiny: load 1.00s\ntiny: done in 1.0s\n", buf.String())
}

// The ETA covers the whole invocation: the runs left times the mean
// duration of the runs finished, less what the current run has spent.
func TestProgressETAFromFinishedRuns(t *testing.T) {
	var buf bytes.Buffer
	tr, clock := newFakeTracker(&buf, 4, false)

	first := newProgress(tr, false, "a #1/2")
	first.phase("load")
	assert.NotContains(t, buf.String(), "ETA", "no ETA before a run has finished")
	clock.advance(10 * time.Second)
	first.finish()
	assert.Contains(t, buf.String(), "a #1/2: done in 10.0s, ETA 30s (3 of 4 runs left)\n")

	buf.Reset()
	second := newProgress(tr, false, "a #2/2")
	second.phase("backend")
	clock.advance(4 * time.Second)
	second.phase("load")
	clock.advance(16 * time.Second)
	second.finish()
	// Mean of 10s and 20s is 15s; two runs left.
	assert.Equal(t, "a #2/2: backend 4.00s\na #2/2: load 16.00s\na #2/2: done in 20.0s, ETA 30s (2 of 4 runs left)\n", buf.String())

	buf.Reset()
	third := newProgress(tr, true, "b")
	clock.advance(5 * time.Second)
	third.phase("load")
	// 2 runs x 15s, less the 5s this one has spent.
	assert.Contains(t, buf.String(), "ETA 25s (2 of 4 runs left)")

	tr.AddRuns(100)
	assert.Contains(t, tr.eta(0), "ETA 25m30s (102 of 104 runs left)")
}

// On a terminal the line is redrawn in place; colour only when allowed
// (the CLI allows it on a terminal without NO_COLOR), never in plain lines.
func TestProgressColourOnlyWhenAllowedOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		name                string
		interactive, color  bool
		wantRedraw, wantRGB bool
	}{
		{"terminal with colour", true, true, true, true},
		{"terminal, NO_COLOR", true, false, true, false},
		{"log file", false, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tr, clock := newFakeTracker(&buf, 1, tc.color)
			p := newProgress(tr, tc.interactive, "x")
			p.phase("load")
			clock.advance(time.Second)
			p.finish()
			out := buf.String()
			assert.Equal(t, tc.wantRedraw, strings.Contains(out, "\r\033[K"), "%q", out)
			assert.Equal(t, tc.wantRGB, strings.Contains(out, "\033[36mload\033[0m"), "%q", out)
		})
	}
}

func TestFormatETA(t *testing.T) {
	assert.Equal(t, "0s", formatETA(0))
	assert.Equal(t, "59s", formatETA(59*time.Second))
	assert.Equal(t, "1m00s", formatETA(time.Minute))
	assert.Equal(t, "61m05s", formatETA(61*time.Minute+5*time.Second))
}
