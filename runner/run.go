package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"sync/atomic"
	"time"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/load"
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

// stopWithin shuts the service down gracefully; when ctx ends first (an
// endpoint that stopped answering holds the shutdown's SQS calls) it kills
// it, so the wait is bounded. Unfinished messages then come back after
// their visibility timeout instead of at once: delayed, never lost.
func (h *serviceHandle) stopWithin(ctx context.Context) error {
	h.cancel()
	var err error
	select {
	case err = <-h.done:
	case <-ctx.Done():
		h.svc.Kill()
		<-h.done
		return fmt.Errorf("the service did not shut down within the teardown budget and was stopped: its unfinished messages return after their visibility timeout (%w)", context.Cause(ctx))
	}
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

// runOnce is one repeat of one case: the service in-process (fullRun) or
// elsewhere (loadOnlyRun), through the same phases.
func runOnce(ctx context.Context, sc *scenario.Scenario, repeat int, label string, opt Options) (result.Run, error) {
	if opt.LoadOnly {
		if err := checkLoadOnly(opt); err != nil {
			return result.Run{Repeat: repeat, Started: time.Now().UTC(), Metrics: map[string]float64{}}, err
		}
		return runRepeat(ctx, sc, repeat, label, opt, opt.backends(), &loadOnlyRun{})
	}
	if opt.consumer != nil {
		if err := checkConsumer(sc, opt); err != nil {
			return result.Run{Repeat: repeat, Started: time.Now().UTC(), Metrics: map[string]float64{}}, err
		}
		collect.SampleAllocations() // the consumer's allocations are attributed (alloc.own.*)
		return runRepeat(ctx, sc, repeat, label, opt, opt.backends(), &consumerRun{fn: opt.consumer})
	}
	if !sc.Service.Command.IsZero() {
		if err := checkCommand(sc, opt); err != nil {
			return result.Run{Repeat: repeat, Started: time.Now().UTC(), Metrics: map[string]float64{}}, err
		}
		return runRepeat(ctx, sc, repeat, label, opt, opt.backends(), &commandRun{})
	}
	collect.SampleAllocations() // the service's allocations are attributed (alloc.own.*)
	return runRepeat(ctx, sc, repeat, label, opt, opt.backends(), &fullRun{})
}

// fullRun is a repeat with the service in-process: every task is
// accounted for by id through the service's events.
type fullRun struct {
	// requests counts the service's SQS requests in its own client.
	requests sqscount.Counter
	client   *serviceClient
	svcCfg   service.Config
	svc      *serviceHandle
	obs      *switchObserver
	dlq      *dlqDrainer
	stopDLQ  func()
	coll     *collect.Collector
	window   measureWindow
	sampler  *throughputSampler
	probe    probe.Summary
	crash    *crashPlan
}

// setup creates this repeat's queues (under a prefix of their own when
// the backend is shared), starts the service and the dead-letter drainer.
func (f *fullRun) setup(ctx context.Context, r *repeat) error {
	sc := r.sc
	if err := createRepeatQueues(ctx, r); err != nil {
		return err
	}
	queues := r.queues
	var err error
	// The service's own client counts its requests (sqscount), so that
	// requests per message are measured the same on every backend.
	f.client = newServiceClient(sc.Faults.SQS, f.requests.Client(r.backend.Client))
	f.obs = &switchObserver{}
	if f.svcCfg, err = serviceConfig(sc, queues, f.obs, r.opt); err != nil {
		return err
	}
	if f.svc, err = startService(r.life, f.client, f.svcCfg); err != nil {
		return fmt.Errorf("starting the service: %w", err)
	}
	r.onEnd(f.stopService)
	// The dead-letter queue is drained by the runner throughout the run so
	// that "everything accounted for" can be known before the end.
	f.dlq = newDLQDrainer(r.backend.Client, queues.DeadLetter)
	f.stopDLQ = f.dlq.start(r.life)
	r.onEnd(func(context.Context) { f.stopDLQ() })
	return nil
}

func (f *fullRun) warmup(ctx context.Context, r *repeat) error {
	warm := collect.New()
	f.obs.cur.Store(warm)
	f.dlq.target.Store(warm)
	plan := loadPlan(r.sc, "w")
	plan.Jobs, plan.Batches, plan.BatchInterval, plan.Rate = r.sc.Load.Warmup, 1, 0, 0
	if _, err := load.Run(ctx, r.backend.Client, r.queues.Jobs, plan, warm, load.Hooks{}); err != nil {
		return fmt.Errorf("warm-up load: %w", err)
	}
	if !waitDone(ctx, warm, closed, nil) {
		r.run.Errors = append(r.run.Errors, "warm-up did not drain before the timeout")
	}
	return nil
}

// measure drives the load and waits until every message is accounted for;
// the cost snapshots are taken at exactly its start and its end.
func (f *fullRun) measure(ctx context.Context, r *repeat) error {
	sc := r.sc
	f.coll = collect.New()
	f.obs.cur.Store(f.coll)
	f.dlq.target.Store(f.coll)
	allocs := startAllocWindow(r.opt, r.label, &r.run)
	prof, err := startProfiles(ctx, sc, r.opt, r.label)
	if err != nil {
		allocs.stop(&r.run)
		return err
	}
	probes := startProbes(ctx, sc, r.opt, r.backend.Client, r.queues)
	f.window.begin(ctx, &f.requests, r.backend.Backend)
	r.prog.phase("load")
	stopMonitor := startMonitor(ctx, r.opt, r.backend.Client, r.queues, sc)
	r.onEnd(func(context.Context) { stopMonitor() })
	f.sampler = newThroughputSampler(f.coll, f.window.Start)
	stopProgress := r.prog.follow(f.coll, f.window.Start, sc.Load.Jobs*sc.Load.TasksPerJob, f.sampler)

	loadErr := f.driveLoad(ctx, r, probes)
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) {
		r.run.Errors = append(r.run.Errors, "load: "+loadErr.Error())
	}
	f.window.finish(context.WithoutCancel(ctx), &f.requests, r.backend.Backend)
	stopProgress()
	if !r.drained {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.run.Errors = append(r.run.Errors, fmt.Sprintf("timeout: not every message was accounted for within %s (see lost)", sc.Timeout))
		}
	} else {
		probes.MarkBatch(sc.Load.Batches - 1)
	}
	f.probe = probes.Stop()
	prof.stop(&r.run)
	allocs.stop(&r.run)
	return nil
}

// driveLoad sends the load and waits until it is accounted for, firing
// the injected crash when due; it returns the load's error.
func (f *fullRun) driveLoad(ctx context.Context, r *repeat, probes runtimeProbe) error {
	sc := r.sc
	f.crash = newCrashPlan(sc.Faults.Crash, sc.Load.Jobs*sc.Load.TasksPerJob)
	hooks := load.Hooks{
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch == 0 {
				return nil
			}
			// The quiet point after the previous batch: drained, then a GC.
			waitDone(ctx, f.coll, closed, nil)
			probes.MarkBatch(batch - 1)
			return nil
		},
	}
	loadDone := make(chan struct{})
	var loadErr error
	go func() {
		defer close(loadDone)
		_, loadErr = load.Run(ctx, r.backend.Client, r.queues.Jobs, loadPlan(sc, ""), f.coll, hooks)
	}()
	r.drained = waitDone(ctx, f.coll, loadDone, func() { f.maybeCrash(ctx, r) })
	<-loadDone
	return loadErr
}

// maybeCrash kills the service when the crash plan says so, and restarts
// it when the scenario asks for that.
func (f *fullRun) maybeCrash(ctx context.Context, r *repeat) {
	if f.svc == nil || !f.crash.due(f.coll.Progress()) {
		return
	}
	f.svc.kill()
	f.svc = nil
	f.crash.killedAt = time.Now()
	if !r.sc.Faults.Crash.Restart {
		return
	}
	svc, err := startService(context.WithoutCancel(ctx), f.client, f.svcCfg)
	if err != nil {
		r.run.Errors = append(r.run.Errors, "restarting the service after the injected crash: "+err.Error())
		return
	}
	f.svc = svc
}

// teardown stops the service and empties the dead-letter queue, so that
// the accounting sees every dead-lettered task.
func (f *fullRun) teardown(ctx context.Context, r *repeat) {
	if r.drained && f.svc != nil {
		// Every message is accounted for: a long poll still waiting can
		// only come back empty, so the shutdown need not wait it out.
		f.svc.cancel()
		f.client.cutLongPolls()
	}
	if err := f.stopServiceErr(ctx); err != nil {
		r.run.Errors = append(r.run.Errors, "service shutdown: "+err.Error())
	}
	f.stopDLQ()
	f.dlq.drainRemaining(ctx)
	r.recordServerView(ctx, f.window.Start)
}

func (f *fullRun) stopService(ctx context.Context) { _ = f.stopServiceErr(ctx) }

func (f *fullRun) stopServiceErr(ctx context.Context) error {
	if f.svc == nil {
		return nil
	}
	svc := f.svc
	f.svc = nil
	return svc.stopWithin(ctx)
}

// assemble turns what measure collected into the run's metrics, accounting
// and diagnosis.
func (f *fullRun) assemble(r *repeat) {
	metrics, acct := f.coll.Result(f.window.Start, f.window.End)
	acct.Foreign = f.coll.Foreign()
	in := runMeasurements{
		Collector:  metrics,
		Accounting: acct,
		Window:     f.window,
		Probe:      f.probe,
		Throughput: f.sampler.series()[0],
		Faults:     f.client.faultCounts(),
		CrashedAt:  f.crash.killedAt,
	}
	m, errs := assembleMetrics(in)
	maps.Copy(r.run.Metrics, m)
	r.run.Errors = append(r.run.Errors, errs...)
	run := &r.run
	run.Accounting = acct
	run.Series = append(f.probe.Series, f.sampler.series()...)
	run.Batches = f.probe.Batches
	run.Warnings = append(run.Warnings, f.probe.Errors...)
	run.Duration = f.window.Seconds()
	sc := r.sc
	run.Diagnosis = diagnose.Diagnose(run.Metrics, run.Batches, diagnose.Context{
		GOMAXPROCS:     gomaxprocs(),
		Workers:        sc.Service.Workers,
		TaskCPU:        sc.Service.Task.CPU,
		TaskIO:         typicalIOWait(sc.Service.Task.IOWait),
		CPUUtilization: f.window.utilization(gomaxprocs()),
	})
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
