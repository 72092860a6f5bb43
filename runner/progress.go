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

// progress prints what a run is doing: one line per phase when not
// interactive (CI logs stay short), a line redrawn in place on a terminal.
type progress struct {
	w           io.Writer
	interactive bool
	label       string
	started     time.Time
	mu          sync.Mutex
	current     string
}

func newProgress(w io.Writer, interactive bool, label string) *progress {
	return &progress{w: w, interactive: interactive, label: label, started: time.Now()}
}

func (p *progress) phase(name string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = name
	if p.interactive {
		fmt.Fprintf(p.w, "\r\033[K%s: %s", p.label, name)
		return
	}
	fmt.Fprintf(p.w, "%s: %s (%.1fs)\n", p.label, name, time.Since(p.started).Seconds())
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
					fmt.Fprintf(p.w, "\r\033[K%s: %s", p.label, collect.FormatProgress(p.current, pr, now.Sub(start)))
					p.mu.Unlock()
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interactive {
		fmt.Fprintf(p.w, "\r\033[K%s: done in %.1fs\n", p.label, time.Since(p.started).Seconds())
		return
	}
	fmt.Fprintf(p.w, "%s: done (%.1fs)\n", p.label, time.Since(p.started).Seconds())
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

// recoveryAfter returns how long after a crash at killedAt the throughput
// took to get back to half of its rate over the two seconds before the
// crash. The bound is deliberately loose: a restarted service first waits
// for the leases of the killed one to lapse, then catches up.
func (s *throughputSampler) recoveryAfter(killedAt time.Time) (time.Duration, bool) {
	rates := s.series()[0]
	k := killedAt.Sub(s.start).Seconds()
	var before []float64
	for i, t := range rates.T {
		if t <= k && t > k-2 {
			before = append(before, rates.Value[i])
		}
	}
	if len(before) == 0 {
		return 0, false
	}
	sum := 0.0
	for _, v := range before {
		sum += v
	}
	target := sum / float64(len(before)) / 2
	for i, t := range rates.T {
		if t > k && rates.Value[i] >= target && target > 0 {
			return time.Duration((t - k) * float64(time.Second)), true
		}
	}
	return 0, false
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
