package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// Load-only drain detection. SQS's counts are approximate and can read
// zero for a moment while messages are still moving (a job handed to the
// tasks queue, a lease lapsing), so "drained" needs several zero samples
// in a row; the drain time is the first of them, so the confirmations do
// not inflate the duration.
const (
	loadOnlyPoll        = 250 * time.Millisecond
	loadOnlyZeroSamples = 4
)

// Warnings every load-only run carries: what this mode cannot see.
const (
	warnLoadOnlyAccounting = "load-only: per-id accounting (processed, lost, duplicates, retried, latency and stage timings, cpu/alloc per message) " +
		"needs the service's events and is not measured; thresholds on those metrics fail as not measured. " +
		"Run the scenario without -load-only (the service in-process) to account for every task id"
	warnLoadOnlyThroughput = "load-only: throughput is tasks sent / time until the work queues were empty, the drain rate seen from the queues, " +
		"not per-id accounting; with several load machines the queues hold everyone's messages, so each machine's duration covers the others' load too"
	warnLoadOnlyRuntime = "load-only: the runtime metrics (sched.latency, gc, heap, goroutines) describe this load generator, not the service"
)

// CheckLoadOnlyQueues says which queue URL a load-only run is missing, naming
// the command-line flag that sets it.
func CheckLoadOnlyQueues(q sqsbackend.Queues) error {
	for _, f := range []struct{ flag, url string }{
		{"-jobs-queue-url", q.Jobs},
		{"-tasks-queue-url", q.Tasks},
		{"-dlq-url", q.DeadLetter},
	} {
		if strings.TrimSpace(f.url) == "" {
			return exitcode.Errorf(exitcode.Usage, "load-only mode needs %s: the queue URLs of the service under test (it runs elsewhere; the runner neither creates nor deletes its queues)", f.flag)
		}
	}
	return nil
}

// checkLoadOnly refuses a load-only run without its queues or on a
// backend other than the service's endpoint.
func checkLoadOnly(opt Options) error {
	if err := CheckLoadOnlyQueues(opt.Queues); err != nil {
		return err
	}
	switch opt.Backend {
	case "", sqsbackend.Endpoint:
		return nil
	}
	return exitcode.Errorf(exitcode.Usage, "load-only mode runs against an SQS endpoint the service also uses: use -backend endpoint (with -endpoint URL or the AWS SDK's chain), not %q", opt.Backend)
}

// loadOnlyRun is a repeat against a service that runs elsewhere: it sends
// the scenario's load to that service's jobs queue, watches the queues
// until the work is gone, and judges by what the queues showed. It
// creates, deletes and consumes nothing: the dead-letter queue is only
// counted, as its owners may need what is on it.
type loadOnlyRun struct {
	prefix        string
	before, after loadOnlyDepths
	afterErr      error
	stats         load.Stats
	window        measureWindow
	probe         probe.Summary
}

func (l *loadOnlyRun) setup(ctx context.Context, r *repeat) error {
	r.queues = r.opt.Queues
	before, err := readLoadOnlyDepths(ctx, r.backend.Client, r.queues)
	if err != nil {
		return err
	}
	l.before = before
	if n := before.work(); n > 0 {
		r.run.Warnings = append(r.run.Warnings, fmt.Sprintf("load-only: the work queues already held %d messages when the run started (another load machine, or a backlog); the run waits for those too", n))
	}
	if l.prefix, err = loadOnlyPrefix(); err != nil {
		return envError(err)
	}
	return nil
}

func (l *loadOnlyRun) warmup(ctx context.Context, r *repeat) error {
	plan := loadPlan(r.sc, l.prefix+"w")
	plan.Jobs, plan.Batches, plan.BatchInterval, plan.Rate = r.sc.Load.Warmup, 1, 0, 0
	if _, err := load.Run(ctx, r.backend.Client, r.queues.Jobs, plan, sentOnly{}, load.Hooks{}); err != nil {
		return fmt.Errorf("warm-up load: %w", err)
	}
	if _, ok := waitQueuesDrained(ctx, r.backend.Client, r.queues); !ok {
		r.run.Errors = append(r.run.Errors, "warm-up did not drain before the timeout")
	}
	return nil
}

func (l *loadOnlyRun) measure(ctx context.Context, r *repeat) error {
	api, queues := r.backend.Client, r.queues
	probes := startProbes(ctx, r.sc, r.opt, api, queues)
	l.window.Before = takeCostSnapshot(ctx, nil, nil)
	l.window.Start = time.Now()
	r.prog.phase("load")
	stopMonitor := startMonitor(ctx, r.opt, api, queues, r.sc)
	r.onEnd(func(context.Context) { stopMonitor() })
	hooks := load.Hooks{
		// The scenario's batches are separated by quiet points, as in a
		// full run: here the queues say when the previous batch is done.
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch > 0 {
				waitQueuesDrained(ctx, api, queues)
			}
			return nil
		},
	}
	stats, loadErr := load.Run(ctx, api, queues.Jobs, loadPlan(r.sc, l.prefix), sentOnly{}, hooks)
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) {
		r.run.Errors = append(r.run.Errors, "load: "+loadErr.Error())
	}
	l.stats = stats
	r.prog.phase("drain")
	drainedAt, drained := waitQueuesDrained(ctx, api, queues)
	l.window.End = drainedAt
	if !drained {
		l.window.End = time.Now()
	}
	l.window.After = takeCostSnapshot(ctx, nil, nil)
	r.drained = drained
	l.probe = probes.Stop()
	return nil
}

// teardown reads the queues once more (the dead-letter count, and what
// remains after a timeout); nothing is stopped or deleted.
func (l *loadOnlyRun) teardown(ctx context.Context, r *repeat) {
	l.after, l.afterErr = readLoadOnlyDepths(ctx, r.backend.Client, r.queues)
}

func (l *loadOnlyRun) assemble(r *repeat) {
	run, sc := &r.run, r.sc
	if !r.drained {
		if l.afterErr != nil {
			run.Errors = append(run.Errors, fmt.Sprintf("timeout: the work queues did not drain within %s (their depth could not be read at the end: %v)", sc.Timeout, l.afterErr))
		} else {
			run.Errors = append(run.Errors, fmt.Sprintf("timeout: the work queues did not drain within %s: %d messages remain (jobs %d, tasks %d; visible+in flight+delayed)",
				sc.Timeout, l.after.work(), l.after.jobs.Total(), l.after.tasks.Total()))
		}
	}
	maps.Copy(run.Metrics, assembleLoadOnlyMetrics(loadOnlyMeasurements{
		JobsSent: l.stats.JobsSent, TasksSent: l.stats.TasksSent,
		Window: l.window, Probe: l.probe,
		DLQBefore: l.before.dlq.Total(), DLQAfter: l.after.dlq.Total(), DLQKnown: l.afterErr == nil,
	}))
	if l.afterErr != nil {
		run.Warnings = append(run.Warnings, "load-only: the dead-letter queue could not be read at the end, so dead_lettered.queue is not measured: "+l.afterErr.Error())
	}
	run.Accounting = result.Accounting{JobsSent: l.stats.JobsSent, Sent: l.stats.TasksSent}
	run.Series = l.probe.Series
	run.Warnings = append(run.Warnings, warnLoadOnlyAccounting, warnLoadOnlyThroughput, warnLoadOnlyRuntime)
	run.Warnings = append(run.Warnings, l.probe.Errors...)
	run.Duration = l.window.Seconds()
}

// loadOnlyDepths are the three queues' counts at one moment.
type loadOnlyDepths struct {
	jobs, tasks, dlq probe.Depth
}

func (d loadOnlyDepths) work() int64 { return d.jobs.Total() + d.tasks.Total() }

// readLoadOnlyDepths reads every queue once; it also proves, before any
// load is sent, that the URLs name queues this endpoint knows.
func readLoadOnlyDepths(ctx context.Context, api probe.QueueAttributesAPI, q sqsbackend.Queues) (loadOnlyDepths, error) {
	var d loadOnlyDepths
	for _, f := range []struct {
		flag, url string
		dst       *probe.Depth
	}{
		{"-jobs-queue-url", q.Jobs, &d.jobs},
		{"-tasks-queue-url", q.Tasks, &d.tasks},
		{"-dlq-url", q.DeadLetter, &d.dlq},
	} {
		depth, err := probe.ReadDepth(ctx, api, f.url)
		if err != nil {
			return d, exitcode.Errorf(exitcode.Environment, "load-only: cannot read the queue %s (%s): %v; check the URL, the endpoint and the credentials (the runner needs sqs:GetQueueAttributes and sqs:SendMessage)", f.url, f.flag, err)
		}
		*f.dst = depth
	}
	return d, nil
}

// waitQueuesDrained polls the work queues until they read empty for
// loadOnlyZeroSamples samples in a row and returns when the first of
// those was taken. It returns false when ctx ends first. A failed read
// breaks the streak: an unknown depth is not an empty queue.
func waitQueuesDrained(ctx context.Context, api probe.QueueAttributesAPI, q sqsbackend.Queues) (time.Time, bool) {
	t := time.NewTicker(loadOnlyPoll)
	defer t.Stop()
	var firstZero time.Time
	zeros := 0
	for {
		now := time.Now()
		empty := true
		for _, url := range []string{q.Jobs, q.Tasks} {
			d, err := probe.ReadDepth(ctx, api, url)
			if err != nil || d.Total() > 0 {
				empty = false
				break
			}
		}
		if empty {
			if zeros == 0 {
				firstZero = now
			}
			zeros++
			if zeros >= loadOnlyZeroSamples {
				return firstZero, true
			}
		} else {
			zeros = 0
		}
		select {
		case <-ctx.Done():
			return time.Time{}, false
		case <-t.C:
		}
	}
}

// loadOnlyPrefix makes job ids unique to this machine and process and to
// this run, so that several load machines on one service (and repeats of
// one scenario) never send the same id.
func loadOnlyPrefix() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	// Room for the run suffix and task numbers within the service's id limit.
	const maxHost = 40
	if len(host) > maxHost {
		host = host[:maxHost]
	}
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("load-only: making a unique job id prefix: %w", err)
	}
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(r[:]) + "-", nil
}

// sentOnly is the load's recorder in load-only mode: no service events
// arrive here, so there is no collector to hand ids to; load.Stats counts
// what was sent.
type sentOnly struct{}

func (sentOnly) JobSent(string, []string, time.Time) {}
