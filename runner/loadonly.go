package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
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

// runLoadOnly is one repeat of one case against a service that runs
// elsewhere: it sends the scenario's load to that service's jobs queue,
// watches the queues until the work is gone, and judges by what the queues
// showed. It creates, deletes and consumes nothing: the dead-letter queue
// is only counted, as its owners may need what is on it.
func runLoadOnly(ctx context.Context, sc *scenario.Scenario, repeat int, label string, opt Options) (result.Run, error) {
	run := result.Run{Repeat: repeat, Started: time.Now().UTC(), Metrics: map[string]float64{}}
	if err := CheckLoadOnlyQueues(opt.Queues); err != nil {
		return run, err
	}
	switch opt.Backend {
	case "", sqsbackend.Endpoint:
	default:
		return run, exitcode.Errorf(exitcode.Usage, "load-only mode runs against an SQS endpoint the service also uses: use -backend endpoint (with -endpoint URL or the AWS SDK's chain), not %q", opt.Backend)
	}
	progressOut := opt.Progress
	if opt.Monitor && opt.Interactive {
		progressOut = nil
	}
	prog := newProgress(progressOut, opt.Interactive, label)
	defer prog.finish()

	prog.phase("backend")
	bopt := opt
	bopt.Backend = sqsbackend.Endpoint
	b, err := openBackend(ctx, sc, bopt)
	if err != nil {
		return run, err
	}
	// Close deletes only queues this backend created, and it creates none.
	defer b.Close(context.WithoutCancel(ctx))
	run.Backend = b.Kind
	run.Metrics["backend.start"] = b.StartDuration.Seconds()

	queues := opt.Queues
	before, err := readLoadOnlyDepths(ctx, b.Client, queues)
	if err != nil {
		return run, err
	}
	if n := before.work(); n > 0 {
		run.Warnings = append(run.Warnings, fmt.Sprintf("load-only: the work queues already held %d messages when the run started (another load machine, or a backlog); the run waits for those too", n))
	}

	deadline := time.Now().Add(sc.Timeout)
	runCtx, cancelRun := context.WithDeadline(ctx, deadline)
	defer cancelRun()

	prefix, err := loadOnlyPrefix()
	if err != nil {
		return run, envError(err)
	}
	if sc.Load.Warmup > 0 {
		prog.phase("warm-up")
		plan := loadPlan(sc, prefix+"w")
		plan.Jobs, plan.Batches, plan.BatchInterval, plan.Rate = sc.Load.Warmup, 1, 0, 0
		if _, err := load.Run(runCtx, b.Client, queues.Jobs, plan, sentOnly{}, load.Hooks{}); err != nil {
			return run, fmt.Errorf("warm-up load: %w", err)
		}
		if _, ok := waitQueuesDrained(runCtx, b.Client, queues); !ok {
			run.Errors = append(run.Errors, "warm-up did not drain before the timeout")
		}
	}

	probes := startProbes(runCtx, sc, opt, b.Client, queues)
	start := time.Now()
	prog.phase("load")
	stopMonitor := startMonitor(runCtx, opt, b.Client, queues, sc)
	defer stopMonitor()

	hooks := load.Hooks{
		// The scenario's batches are separated by quiet points, as in a
		// full run: here the queues say when the previous batch is done.
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch > 0 {
				waitQueuesDrained(ctx, b.Client, queues)
			}
			return nil
		},
	}
	stats, loadErr := load.Run(runCtx, b.Client, queues.Jobs, loadPlan(sc, prefix), sentOnly{}, hooks)
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) {
		run.Errors = append(run.Errors, "load: "+loadErr.Error())
	}
	prog.phase("drain")
	drainedAt, drained := waitQueuesDrained(runCtx, b.Client, queues)
	end := drainedAt
	if !drained {
		end = time.Now()
	}
	summary := probes.Stop()

	prog.phase("shutdown")
	after, afterErr := readLoadOnlyDepths(context.WithoutCancel(ctx), b.Client, queues)
	if !drained {
		if afterErr != nil {
			run.Errors = append(run.Errors, fmt.Sprintf("timeout: the work queues did not drain within %s (their depth could not be read at the end: %v)", sc.Timeout, afterErr))
		} else {
			run.Errors = append(run.Errors, fmt.Sprintf("timeout: the work queues did not drain within %s: %d messages remain (jobs %d, tasks %d; visible+in flight+delayed)",
				sc.Timeout, after.work(), after.jobs.Total(), after.tasks.Total()))
		}
	}

	for k, v := range summary.Metrics {
		run.Metrics[k] = v
	}
	run.Metrics["jobs.sent"] = float64(stats.JobsSent)
	run.Metrics["sent"] = float64(stats.TasksSent)
	wall := end.Sub(start).Seconds()
	run.Metrics["duration"] = wall
	if wall > 0 {
		run.Metrics["throughput"] = float64(stats.TasksSent) / wall
	}
	if afterErr == nil {
		run.Metrics["dead_lettered.queue"] = float64(max(0, after.dlq.Total()-before.dlq.Total()))
	} else {
		run.Warnings = append(run.Warnings, "load-only: the dead-letter queue could not be read at the end, so dead_lettered.queue is not measured: "+afterErr.Error())
	}
	run.Accounting = result.Accounting{JobsSent: stats.JobsSent, Sent: stats.TasksSent}
	run.Series = summary.Series
	run.Warnings = append(run.Warnings, warnLoadOnlyAccounting, warnLoadOnlyThroughput, warnLoadOnlyRuntime)
	run.Warnings = append(run.Warnings, summary.Errors...)
	run.Duration = wall
	return run, nil
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
