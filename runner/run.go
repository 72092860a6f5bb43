package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqscount"
	"github.com/sqsperf/sqsperf/service"
)

// drainPoll is how often the runner checks whether every message has been
// accounted for. It bounds how much idle time a run adds at its end.
const drainPoll = 20 * time.Millisecond

// switchObserver lets the runner point the service's events at a fresh
// collector after the warm-up without restarting the service.
type switchObserver struct {
	cur atomic.Pointer[collect.Collector]
}

func (s *switchObserver) Observe(e service.Event) {
	if c := s.cur.Load(); c != nil {
		c.Observe(e)
	}
}

// runtimeProbe is what a run needs of the probes; noProbe stands in when
// they are disabled to measure their own overhead.
type runtimeProbe interface {
	MarkBatch(batch int)
	Stop() probe.Summary
}

type noProbe struct{}

func (noProbe) MarkBatch(int)       {}
func (noProbe) Stop() probe.Summary { return probe.Summary{} }

var _ runtimeProbe = (*probe.Probe)(nil)

// startProbes samples the runtime and the queues, or stands in a no-op
// when probes are disabled (to measure their own cost).
func startProbes(ctx context.Context, sc *scenario.Scenario, opt Options, api probe.QueueAttributesAPI, q sqsbackend.Queues) runtimeProbe {
	if opt.DisableProbes {
		return noProbe{}
	}
	return probe.Start(ctx, probe.Config{
		Queues: map[string]string{
			sc.SQS.Queues.Jobs:  q.Jobs,
			sc.SQS.Queues.Tasks: q.Tasks,
		},
		// The DLQ is charted but must not count as backlog.
		OtherQueues: map[string]string{sc.SQS.Queues.DeadLetter: q.DeadLetter},
		SQS:         api,
	})
}

// serviceHandle is one running instance of the service.
type serviceHandle struct {
	svc    *service.Service
	cancel context.CancelFunc
	done   chan error
}

func startService(ctx context.Context, client service.SQSAPI, cfg service.Config) (*serviceHandle, error) {
	svc, err := service.New(client, cfg)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	h := &serviceHandle{svc: svc, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- svc.Run(sctx) }()
	return h, nil
}

// stop shuts the service down gracefully and waits for it.
func (h *serviceHandle) stop() error {
	h.cancel()
	err := <-h.done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// kill simulates a crash: nothing is released, leases lapse in SQS.
func (h *serviceHandle) kill() {
	h.svc.Kill()
	h.cancel()
	<-h.done
}

// runOnce is one repeat of one case on a fresh backend and service.
func runOnce(ctx context.Context, sc *scenario.Scenario, repeat int, label string, opt Options) (result.Run, error) {
	if opt.LoadOnly {
		return runLoadOnly(ctx, sc, repeat, label, opt)
	}
	run := result.Run{Repeat: repeat, Started: time.Now().UTC(), Metrics: map[string]float64{}}
	progressOut := opt.Progress
	if opt.Monitor && opt.Interactive {
		progressOut = nil // the monitor owns the terminal
	}
	prog := newProgress(progressOut, opt.Interactive, label)
	defer prog.finish()

	prog.phase("backend")
	b, err := openBackend(ctx, sc, opt)
	if err != nil {
		return run, err
	}
	defer b.Close(context.WithoutCancel(ctx))
	run.Backend = b.Kind
	run.Metrics["backend.start"] = b.StartDuration.Seconds()

	queues, err := b.CreateQueues(ctx, sqsbackend.QueueSpec{
		Jobs:              sc.SQS.Queues.Jobs,
		Tasks:             sc.SQS.Queues.Tasks,
		DeadLetter:        sc.SQS.Queues.DeadLetter,
		VisibilityTimeout: sc.SQS.VisibilityTimeout,
		MaxReceiveCount:   sc.SQS.MaxReceiveCount,
		WaitTime:          sc.SQS.WaitTime,
	})
	if err != nil {
		return run, envError(fmt.Errorf("creating queues: %w", err))
	}

	run.Warnings = append(run.Warnings, b.Warnings...)
	// The service's own client counts its requests (sqscount), so that
	// requests per message are measured the same on every backend.
	requests := &sqscount.Counter{}
	counted := requests.Client(b.Client)
	var client service.SQSAPI = counted
	faulty, faults := newFaultInjector(sc.Faults.SQS, counted)
	if faulty != nil {
		client = faulty
	}

	obs := &switchObserver{}
	svcCfg, err := serviceConfig(sc, queues, obs, opt)
	if err != nil {
		return run, err
	}
	svc, err := startService(ctx, client, svcCfg)
	if err != nil {
		return run, fmt.Errorf("starting the service: %w", err)
	}
	defer func() {
		if svc != nil {
			_ = svc.stop()
		}
	}()

	deadline := time.Now().Add(sc.Timeout)
	runCtx, cancelRun := context.WithDeadline(ctx, deadline)
	defer cancelRun()

	// The dead-letter queue is drained by the runner throughout the run so
	// that "everything accounted for" can be known before the end.
	dlq := newDLQDrainer(b.Client, queues.DeadLetter)
	dlqCtx, stopDLQ := context.WithCancel(ctx)
	var dlqWG sync.WaitGroup
	dlqWG.Add(1)
	go func() { defer dlqWG.Done(); dlq.run(dlqCtx) }()
	defer func() { stopDLQ(); dlqWG.Wait() }()

	if sc.Load.Warmup > 0 {
		prog.phase("warm-up")
		warm := collect.New()
		obs.cur.Store(warm)
		dlq.target.Store(warm)
		plan := loadPlan(sc, "w")
		plan.Jobs, plan.Batches, plan.BatchInterval, plan.Rate = sc.Load.Warmup, 1, 0, 0
		if _, err := load.Run(runCtx, b.Client, queues.Jobs, plan, warm, load.Hooks{}); err != nil {
			return run, fmt.Errorf("warm-up load: %w", err)
		}
		if !waitDone(runCtx, warm, closed, nil) {
			run.Errors = append(run.Errors, "warm-up did not drain before the timeout")
		}
	}

	coll := collect.New()
	obs.cur.Store(coll)
	dlq.target.Store(coll)

	prof, err := startProfiles(runCtx, sc, opt, label)
	if err != nil {
		return run, err
	}
	probes := startProbes(runCtx, sc, opt, b.Client, queues)
	runtime.GC()
	costBefore := collect.CostSnapshot()
	reqBefore := requests.Snapshot()
	srvBefore, srvKnown, _ := b.ServerCost(runCtx)
	start := time.Now()
	prog.phase("load")
	stopMonitor := startMonitor(runCtx, opt, b.Client, queues, sc)
	defer stopMonitor()
	sampler := newThroughputSampler(coll, start)
	stopProgress := prog.follow(coll, start, sc.Load.Jobs*sc.Load.TasksPerJob, sampler)

	crash := newCrashPlan(sc.Faults.Crash, sc.Load.Jobs*sc.Load.TasksPerJob)
	hooks := load.Hooks{
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch == 0 {
				return nil
			}
			// The quiet point after the previous batch: drained, then a GC.
			waitDone(ctx, coll, closed, nil)
			probes.MarkBatch(batch - 1)
			return nil
		},
	}
	loadDone := make(chan struct{})
	var loadErr error
	go func() {
		defer close(loadDone)
		_, loadErr = load.Run(runCtx, b.Client, queues.Jobs, loadPlan(sc, ""), coll, hooks)
	}()

	var crashErr error
	drained := waitDone(runCtx, coll, loadDone, func() {
		if !crash.due(coll.Progress()) {
			return
		}
		svc.kill()
		crash.killedAt = time.Now()
		if !sc.Faults.Crash.Restart {
			svc = nil
			return
		}
		svc, crashErr = startService(ctx, client, svcCfg)
		if crashErr != nil {
			svc = nil
		}
	})
	<-loadDone
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) {
		run.Errors = append(run.Errors, "load: "+loadErr.Error())
	}
	if crashErr != nil {
		run.Errors = append(run.Errors, "restarting the service after the injected crash: "+crashErr.Error())
	}
	end := time.Now()
	costAfter := collect.CostSnapshot()
	reqAfter := requests.Snapshot()
	var srvSpent sqsbackend.ServerCost
	if srvKnown {
		srvAfter, ok, err := b.ServerCost(context.WithoutCancel(ctx))
		srvKnown = ok
		if err != nil {
			run.Warnings = append(run.Warnings, "reading the SQS server's cost: "+err.Error())
		}
		srvSpent = srvAfter.Sub(srvBefore)
	}
	stopProgress()
	if !drained {
		run.Errors = append(run.Errors, fmt.Sprintf("timeout: not every message was accounted for within %s (see lost)", sc.Timeout))
	} else {
		probes.MarkBatch(sc.Load.Batches - 1)
	}
	summary := probes.Stop()
	prof.stop(&run)

	prog.phase("shutdown")
	if svc != nil {
		if err := svc.stop(); err != nil {
			run.Errors = append(run.Errors, "service shutdown: "+err.Error())
		}
		svc = nil
	}
	stopDLQ()
	dlqWG.Wait()
	dlq.drainRemaining(context.WithoutCancel(ctx))

	metrics, acct := coll.Result(start, end)
	acct.Foreign = coll.Foreign()
	for k, v := range metrics {
		run.Metrics[k] = v
	}
	for k, v := range collect.PerMessage(costBefore, costAfter, acct.Processed) {
		run.Metrics[k] = v
	}
	for k, v := range summary.Metrics {
		run.Metrics[k] = v
	}
	for k, v := range sqscount.PerMessage(reqAfter.Sub(reqBefore), acct.Processed) {
		run.Metrics[k] = v
	}
	if srvKnown && acct.Processed > 0 {
		n := float64(acct.Processed)
		run.Metrics[metric.HarnessCPU] = srvSpent.CPU.Seconds() / n
		run.Metrics[metric.HarnessAllocs] = float64(srvSpent.Allocs) / n
		run.Metrics[metric.HarnessAllocBytes] = float64(srvSpent.AllocBytes) / n
	}
	if !crash.killedAt.IsZero() {
		if rec, ok := sampler.recoveryAfter(crash.killedAt); ok {
			run.Metrics["recovery"] = rec.Seconds()
		} else {
			run.Errors = append(run.Errors, "throughput did not recover to half its pre-crash rate before the run ended")
		}
	}
	if faults != nil {
		c := faults.Counts()
		run.Metrics["faults.injected"] = float64(c.Throttled + c.Errors + c.Timeouts + c.Dropped + c.Delayed)
		run.Metrics["faults.calls"] = float64(c.Calls)
	}
	run.Accounting = acct
	run.Series = append(summary.Series, sampler.series()...)
	run.Batches = summary.Batches
	run.Warnings = append(run.Warnings, summary.Errors...)
	run.Duration = end.Sub(start).Seconds()
	utilization := 0.0
	if wall := end.Sub(start).Seconds(); wall > 0 {
		utilization = (costAfter.CPU - costBefore.CPU).Seconds() / wall / float64(runtime.GOMAXPROCS(0))
	}
	run.Diagnosis = diagnose.Diagnose(run.Metrics, run.Batches, diagnose.Context{
		GOMAXPROCS:     runtime.GOMAXPROCS(0),
		Workers:        sc.Service.Workers,
		TaskCPU:        sc.Service.Task.CPU,
		TaskIO:         typicalIOWait(sc.Service.Task.IOWait),
		CPUUtilization: utilization,
	})
	return run, nil
}

// closed is a channel that is always ready: "the load has finished" for
// waits that start after it did.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// waitDone polls until the load has finished (loadDone is closed) and
// every message sent is accounted for, calling tick on each poll. It
// returns false when ctx ends first.
func waitDone(ctx context.Context, c *collect.Collector, loadDone <-chan struct{}, tick func()) bool {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		if tick != nil {
			tick()
		}
		select {
		case <-loadDone:
			if c.Done() {
				return true
			}
		default:
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// typicalIOWait is the middle of a task's I/O wait distribution.
func typicalIOWait(d scenario.Dist) time.Duration {
	switch d.Kind {
	case "uniform":
		return (d.Min + d.Max) / 2
	case "lognormal":
		return d.Median
	}
	return d.Value
}

func loadPlan(sc *scenario.Scenario, prefix string) load.Plan {
	return load.Plan{
		Jobs:          sc.Load.Jobs,
		TasksPerJob:   sc.Load.TasksPerJob,
		Batches:       sc.Load.Batches,
		BatchInterval: sc.Load.BatchInterval,
		Rate:          sc.Load.Rate,
		Senders:       sc.Load.Senders,
		Payload:       int(sc.Load.Payload),
		JobIDPrefix:   prefix,
		Seed:          sc.Service.Seed,
	}
}
