package runner

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/monitor"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// sampleEvery is the period of the runner's own throughput samples (the
// throughput chart and the recovery measurement after a crash).
const sampleEvery = 250 * time.Millisecond

// ProgressTracker is what a caller passes as Options.Progress to get more
// than bare phase lines: it knows how many runs the whole invocation will
// make (cases x repeats over every scenario), so each line can carry an
// ETA from the durations of the runs already finished, and whether colour
// may be used. Writes go to the wrapped stream unchanged.
type ProgressTracker struct {
	w     io.Writer
	color bool
	now   func() time.Time

	mu    sync.Mutex
	total int           // runs expected; 0 = unknown
	done  int           // runs finished
	spent time.Duration // their total duration
}

// NewProgressTracker wraps w, where progress lines go. totalRuns is the
// number of runs the invocation will make (0 if unknown: no ETA); color
// allows escape codes for colour, which callers grant only when w is a
// terminal and NO_COLOR is unset.
func NewProgressTracker(w io.Writer, totalRuns int, color bool) *ProgressTracker {
	return &ProgressTracker{w: w, total: totalRuns, color: color, now: time.Now}
}

func (t *ProgressTracker) Write(b []byte) (int, error) { return t.w.Write(b) }

// AddRuns raises the expected number of runs, e.g. when a regression is
// re-run to confirm it.
func (t *ProgressTracker) AddRuns(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += n
}

func (t *ProgressTracker) finished(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done++
	t.spent += d
}

// eta is the time the runs not yet finished will take, at the mean
// duration of those finished, minus what the current run has already
// spent; "" until one run has finished or when nothing is left.
func (t *ProgressTracker) eta(current time.Duration) string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	left := t.total - t.done
	if t.done == 0 || left <= 0 {
		return ""
	}
	mean := t.spent / time.Duration(t.done)
	rest := max(mean*time.Duration(left)-current, 0)
	return fmt.Sprintf("ETA %s (%d of %d runs left)", formatETA(rest), left, t.total)
}

// formatETA rounds to what a person plans with: seconds under a minute,
// then minutes and seconds.
func formatETA(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// progress prints what a run is doing: on a terminal, a line redrawn in
// place; otherwise (CI, a log file) one line per phase when it ends, with
// the phase's own duration, so a log shows where the time went.
type progress struct {
	w           io.Writer
	interactive bool
	label       string
	tracker     *ProgressTracker // nil: no ETA, no colour
	now         func() time.Time
	started     time.Time
	mu          sync.Mutex
	current     string
	phaseStart  time.Time
}

// newProgress starts the progress of one run. When w is a
// *ProgressTracker the lines carry the invocation's ETA (and colour if
// it allows), and the run's duration feeds it when finish is called.
func newProgress(w io.Writer, interactive bool, label string) *progress {
	p := &progress{w: w, interactive: interactive, label: label, now: time.Now}
	if t, ok := w.(*ProgressTracker); ok {
		p.tracker = t
		p.now = t.now
	}
	p.started = p.now()
	return p
}

// paint wraps s in an ANSI colour when the line is redrawn on a terminal
// and the tracker allows colour.
func (p *progress) paint(code, s string) string {
	if !p.interactive || p.tracker == nil || !p.tracker.color {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}

const (
	colorPhase = "36" // cyan
	colorDone  = "32" // green
	colorDim   = "2"
)

// withETA appends the invocation's ETA, if known, to line; elapsed is
// how long the current run has been going (0 once it has finished).
func (p *progress) withETA(line string, elapsed time.Duration) string {
	if eta := p.tracker.eta(elapsed); eta != "" {
		return line + p.paint(colorDim, ", "+eta)
	}
	return line
}

func (p *progress) phase(name string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.interactive {
		p.current, p.phaseStart = name, now
		fmt.Fprintf(p.w, "\r\033[K%s", p.withETA(fmt.Sprintf("%s: %s", p.label, p.paint(colorPhase, name)), now.Sub(p.started)))
		return
	}
	p.endPhase(now)
	p.current, p.phaseStart = name, now
}

// endPhase prints the line of the phase that just ended (non-interactive
// only), with how long it took. Called with p.mu held.
func (p *progress) endPhase(now time.Time) {
	if p.current == "" {
		return
	}
	fmt.Fprintf(p.w, "%s: %s %.2fs\n", p.label, p.current, now.Sub(p.phaseStart).Seconds())
}

// follow samples the collector until the returned stop function is
// called: it feeds the throughput sampler and, on a terminal, redraws the
// progress line.
func (p *progress) follow(c *collect.Collector, start time.Time, expected int, s *throughputSampler) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				s.sample(time.Now())
				return
			case now := <-t.C:
				s.sample(now)
				if p.w != nil && p.interactive {
					p.mu.Lock()
					pr := c.Progress()
					pr.Expected = expected
					line := fmt.Sprintf("%s: %s", p.label, collect.FormatProgress(p.current, pr, now.Sub(start)))
					fmt.Fprintf(p.w, "\r\033[K%s", p.withETA(line, p.now().Sub(p.started)))
					p.mu.Unlock()
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

func (p *progress) finish() {
	now := p.now()
	took := now.Sub(p.started)
	// The tracker learns the run's duration even when nothing is shown
	// (the monitor owns the terminal), so the next ETA is right.
	p.tracker.finishedRun(took)
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interactive {
		line := fmt.Sprintf("%s: %s", p.label, p.paint(colorDone, fmt.Sprintf("done in %.1fs", took.Seconds())))
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.withETA(line, 0))
		return
	}
	p.endPhase(now)
	p.current = ""
	fmt.Fprintf(p.w, "%s\n", p.withETA(fmt.Sprintf("%s: done in %.1fs", p.label, took.Seconds()), 0))
}

// finishedRun records one run; a nil tracker ignores it.
func (t *ProgressTracker) finishedRun(d time.Duration) {
	if t != nil {
		t.finished(d)
	}
}

// throughputSampler keeps the processed count at a fixed period: the
// throughput series of the report and the basis of the recovery time.
// Its memory grows by two floats per sample: a ten-minute run is 2,400
// samples.
type throughputSampler struct {
	c     *collect.Collector
	start time.Time
	mu    sync.Mutex
	t     []float64 // seconds since start
	n     []float64 // processed so far
}

func newThroughputSampler(c *collect.Collector, start time.Time) *throughputSampler {
	s := &throughputSampler{c: c, start: start}
	s.t, s.n = append(s.t, 0), append(s.n, 0)
	return s
}

func (s *throughputSampler) sample(now time.Time) {
	p := s.c.Progress()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t = append(s.t, now.Sub(s.start).Seconds())
	s.n = append(s.n, float64(p.Processed))
}

// series returns the throughput over time (tasks/s per sample interval).
func (s *throughputSampler) series() []result.Series {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := result.Series{Name: "throughput", Unit: "rate"}
	for i := 1; i < len(s.t); i++ {
		dt := s.t[i] - s.t[i-1]
		if dt <= 0 {
			continue
		}
		out.T = append(out.T, s.t[i])
		out.Value = append(out.Value, (s.n[i]-s.n[i-1])/dt)
	}
	return []result.Series{out}
}

// startMonitor shows the live queue monitor during the load when asked
// for on an interactive terminal; the returned function stops it.
func startMonitor(ctx context.Context, opt Options, api monitor.API, q sqsbackend.Queues, sc *scenario.Scenario) (stop func()) {
	if !opt.Monitor || !opt.Interactive || opt.Progress == nil {
		return func() {}
	}
	m := monitor.New(opt.Progress, api, map[string]string{
		sc.SQS.Queues.Jobs:       q.Jobs,
		sc.SQS.Queues.Tasks:      q.Tasks,
		sc.SQS.Queues.DeadLetter: q.DeadLetter,
	}, monitor.Options{Interactive: true, Title: sc.Name})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	return func() { cancel(); <-done }
}
