package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqscount"
)

// ConsumerFunc is a team's own SQS consumer, run in-process by
// RunConsumer: it consumes queues.Jobs (and queues.Tasks, where it hands
// work to itself) with client until ctx ends, then finishes or releases
// what it holds and returns. Returning before ctx ends is a crash.
// Messages are the scenario's load: JSON export jobs
// {"job_id", "tasks": [{"task_id", "job_id", ...}]} (service/api.go).
type ConsumerFunc func(ctx context.Context, client *sqs.Client, queues sqsbackend.Queues) error

// consumerReadyTimeout bounds the wait for a consumer's first receive.
const consumerReadyTimeout = scenario.DefaultReadyTimeout

// warnConsumerShared is what every RunConsumer run carries.
const warnConsumerShared = "RunConsumer: the consumer runs in the runner's process, so cpu.per_message and alloc.bytes_per_message include the load driver's share (the SQS server runs apart; alloc.own.* is the consumer's code alone); " +
	"accounting is the SQS server's (server.*, per SQS message); the stage timings and per-task accounting of the built-in service are not measured"

// RunConsumer runs scenario sc against consumer, in this process: for
// each case and repeat it takes a fresh embedded SQS server, creates the
// queues, starts consumer, waits for its first receive, drives the
// scenario's load, waits until the server saw every message processed or
// dead-lettered, stops consumer (cancels its ctx; it has
// sc.Service.ShutdownTimeout to return) and accounts for every message
// from the server's view (server.*, with the exact ids of lost ones).
// The runtime probes (scheduler latency, tick lag, heap, goroutines)
// watch this process, the consumer's; the sqs.requests.* metrics count
// the requests of the client it is given; alloc.own.* are the
// allocations of the consumer's own code (every allocation site whose
// nearest frame outside the standard library is neither the AWS SDK nor
// this runner), from the memory profile, whose rate RunConsumer sets to
// collect.AllocSampleRate unless the program set one. Judge the result
// with Judge, as for Run.
//
// The scenario's built-in service settings that shape the service
// (handler, task, failure_rate, faults) do not apply: the consumer is the
// team's own. The test binary's TestMain must call
// sqsbackend.ServeChildIfRequested first, or the SQS server runs in this
// process too (a warning says so).
func RunConsumer(ctx context.Context, sc *scenario.Scenario, opt Options, consumer ConsumerFunc) (*result.Scenario, error) {
	if consumer == nil {
		return nil, exitcode.Errorf(exitcode.Usage, "RunConsumer: consumer is nil")
	}
	if !sc.Service.Command.IsZero() {
		return nil, exitcode.Errorf(exitcode.Usage, "%s: RunConsumer runs an in-process consumer, and the scenario names service.command: use Run for it", sc.File)
	}
	opt.consumer = consumer
	return Run(ctx, sc, opt)
}

// checkConsumer refuses what an in-process consumer run cannot do.
func checkConsumer(sc *scenario.Scenario, opt Options) error {
	if opt.LoadOnly {
		return exitcode.Errorf(exitcode.Usage, "RunConsumer and load-only mode exclude each other")
	}
	if b := opt.backendConfig(sc).Kind; b != "" && b != sqsbackend.Embedded {
		return exitcode.Errorf(exitcode.Usage, "RunConsumer runs on the embedded backend only (its accounting is the embedded SQS server's view), not %q", b)
	}
	return nil
}

// consumerRun is a repeat of RunConsumer.
type consumerRun struct {
	fn       ConsumerFunc
	requests sqscount.Counter
	cancel   context.CancelFunc
	done     chan struct{}
	err      error // the consumer's return, once done is closed
	startup  time.Duration
	stats    load.Stats
	window   measureWindow
	probe    probe.Summary
	server   ledger.Summary
	serverOK bool
}

func (c *consumerRun) setup(ctx context.Context, r *repeat) error {
	if err := createRepeatQueues(ctx, r); err != nil {
		return err
	}
	receivesBefore, _, _ := r.backend.ServerReceives(ctx)
	client := c.requests.Client(r.backend.Client)
	cctx, cancel := context.WithCancel(r.life)
	c.cancel, c.done = cancel, make(chan struct{})
	start := time.Now()
	go func() {
		defer close(c.done)
		defer func() {
			if p := recover(); p != nil {
				c.err = fmt.Errorf("panic: %v", p)
			}
		}()
		c.err = c.fn(cctx, client, r.queues)
	}()
	r.onEnd(func(ctx context.Context) { _ = c.stop(ctx, r.sc.Service.ShutdownTimeout) })
	r.prog.phase("start consumer")
	rctx, rcancel := context.WithTimeout(r.life, consumerReadyTimeout)
	defer rcancel()
	t := time.NewTicker(commandPoll)
	defer t.Stop()
	for {
		if n, ok, err := r.backend.ServerReceives(rctx); err == nil && ok && n > receivesBefore {
			c.startup = time.Since(start)
			return nil
		}
		select {
		case <-c.done:
			return c.crashed("before its first receive")
		case <-rctx.Done():
			if r.life.Err() != nil {
				return interrupted(r.life)
			}
			return exitcode.Errorf(exitcode.Environment, "RunConsumer: the consumer made no ReceiveMessage call within %s of its start", consumerReadyTimeout)
		case <-t.C:
		}
	}
}

func (c *consumerRun) crashed(when string) error {
	<-c.done
	err := c.err
	if err == nil {
		err = errors.New("it returned nil")
	}
	return exitcode.Errorf(exitcode.Environment, "RunConsumer: the consumer returned %s: %v", when, err)
}

func (c *consumerRun) waitSettled(ctx context.Context, r *repeat, since time.Time, loadDone <-chan struct{}) (bool, error) {
	return waitLedgerSettled(ctx, r, since, loadDone, c.done, func() error { return c.crashed("during the run") })
}

func (c *consumerRun) warmup(ctx context.Context, r *repeat) error {
	return ledgerWarmup(ctx, r, c.waitSettled)
}

func (c *consumerRun) measure(ctx context.Context, r *repeat) error {
	sc := r.sc
	allocs := startAllocWindow(r.opt, r.label, &r.run)
	probes := startProbes(ctx, sc, r.opt, r.backend.Client, r.queues)
	c.window.begin(ctx, &c.requests, r.backend.Backend)
	r.prog.phase("load")
	hooks := load.Hooks{
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch == 0 {
				return nil
			}
			_, err := c.waitSettled(ctx, r, c.window.Start, closed)
			probes.MarkBatch(batch - 1)
			return err
		},
	}
	var drained bool
	var loadErr, err error
	c.stats, drained, loadErr, err = driveLedgerLoad(ctx, r, hooks, c.window.Start, c.waitSettled)
	c.window.finish(context.WithoutCancel(ctx), &c.requests, r.backend.Backend)
	if drained {
		probes.MarkBatch(sc.Load.Batches - 1)
	}
	c.probe = probes.Stop()
	allocs.stop(&r.run)
	if err != nil {
		return err
	}
	recordLedgerLoad(ctx, r, drained, loadErr)
	return nil
}

// stop cancels the consumer's ctx and waits for it to return, at most
// grace (and ctx).
func (c *consumerRun) stop(ctx context.Context, grace time.Duration) error {
	c.cancel()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.done:
		if c.err != nil && !errors.Is(c.err, context.Canceled) {
			return fmt.Errorf("RunConsumer: the consumer returned an error when stopped: %w", c.err)
		}
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}
	return fmt.Errorf("RunConsumer: the consumer did not return within %s of its context's end (service.shutdown_timeout); its goroutines are left running", grace)
}

func (c *consumerRun) teardown(ctx context.Context, r *repeat) {
	if err := c.stop(ctx, r.sc.Service.ShutdownTimeout); err != nil {
		r.run.Errors = append(r.run.Errors, err.Error())
	}
	c.server, c.serverOK = checkReleased(ctx, r, c.window.Start, "the consumer", "when its context ended")
}

func (c *consumerRun) assemble(r *repeat) {
	run := &r.run
	m := map[string]float64{
		metric.JobsSent:       float64(c.stats.JobsSent),
		metric.Sent:           float64(c.stats.TasksSent),
		metric.ProcessStartup: c.startup.Seconds(),
	}
	maps.Copy(m, c.probe.Metrics)
	wall := c.window.Seconds()
	m[metric.RunDuration] = wall
	if r.drained && c.stats.TasksSent > 0 {
		if wall > 0 {
			m[metric.Throughput] = float64(c.stats.TasksSent) / wall
		}
		maps.Copy(m, collect.PerMessage(c.window.Before.Process, c.window.After.Process, c.stats.TasksSent))
		maps.Copy(m, sqscount.PerMessage(c.window.After.Requests.Sub(c.window.Before.Requests), c.stats.TasksSent))
		maps.Copy(m, harnessPerMessage(c.window, c.stats.TasksSent))
	}
	if c.serverOK {
		m[metric.Lost] = float64(c.server.Lost)
	}
	maps.Copy(run.Metrics, m)
	run.Accounting = ledgerAccounting(c.stats, c.server)
	run.Series = c.probe.Series
	run.Batches = c.probe.Batches
	run.Warnings = append(run.Warnings, c.probe.Errors...)
	run.Warnings = append(run.Warnings, warnConsumerShared)
	run.Duration = wall
}
