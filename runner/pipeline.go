package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// minTeardown is the least time a repeat's teardown gets (see
// teardownBudget); a variable so that tests of a hung endpoint end sooner.
var minTeardown = 10 * time.Second

// teardownBudget bounds everything after the measured window (stopping
// the service, draining the dead-letter queue, deleting queues, closing a
// backend): a quarter of the scenario's timeout, at least minTeardown. An
// endpoint that stopped answering then costs this much, never a hang.
func teardownBudget(timeout time.Duration) time.Duration {
	return max(minTeardown, timeout/4)
}

// answerTimeout is how long an endpoint gets to answer one ListQueues
// when the runner checks whether it still answers at all.
const answerTimeout = 3 * time.Second

// phases are what differs between a full run and a load-only run. The
// order, the progress lines, the deadlines and the bounded teardown are
// runRepeat's.
type phases interface {
	// setup creates (or checks) the queues and starts the service; ctx
	// bounds its requests, what it starts lives with repeat.life.
	setup(ctx context.Context, r *repeat) error
	// warmup sends the warm-up load and waits for it to drain.
	warmup(ctx context.Context, r *repeat) error
	// measure drives the load and waits until it is accounted for; ctx
	// ends at the scenario's timeout.
	measure(ctx context.Context, r *repeat) error
	// teardown stops what setup started; ctx ends with the teardown budget.
	teardown(ctx context.Context, r *repeat)
	// assemble writes the run's metrics from what measure collected.
	assemble(r *repeat)
}

// repeat is one repeat of one case on its way through the phases.
type repeat struct {
	// life is the caller's context: what setup starts lives as long
	// (setup's own ctx bounds only its requests).
	life    context.Context
	sc      *scenario.Scenario
	opt     Options
	label   string
	prog    *progress
	run     result.Run
	backend repeatBackend
	queues  sqsbackend.Queues
	// drained is set by measure when every message was accounted for.
	drained bool
	// cleanups run in reverse order when the repeat ends, on every path,
	// under the teardown budget. Each must be safe to run after the
	// teardown phase already did its work.
	cleanups []func(context.Context)
}

func (r *repeat) onEnd(f func(context.Context)) { r.cleanups = append(r.cleanups, f) }

// runRepeat is one repeat of one case: backend, setup, warm-up, measure
// and teardown, with every wait bounded: the run by the scenario's
// timeout, everything after it by teardownBudget.
func runRepeat(ctx context.Context, sc *scenario.Scenario, rep int, label string, opt Options, pool *Backends, ph phases) (result.Run, error) {
	r := &repeat{life: ctx, sc: sc, opt: opt, label: label, run: result.Run{Repeat: rep, Started: time.Now().UTC(), Metrics: map[string]float64{}}}
	progressOut := opt.Progress
	if opt.Monitor && opt.Interactive {
		progressOut = nil // the monitor owns the terminal
	}
	r.prog = newProgress(progressOut, opt.Interactive, label)
	defer r.prog.finish()

	// The teardown's clock starts when the measured part ends, however it
	// ends; it is not the caller's ctx, so an interrupted run still
	// cleans up, within the budget.
	tdCtx, cancelTD := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTD()
	var startTD sync.Once
	beginTeardown := func() {
		startTD.Do(func() { time.AfterFunc(teardownBudget(sc.Timeout), cancelTD) })
	}
	defer func() {
		beginTeardown()
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i](tdCtx)
		}
	}()

	err := r.drive(ctx, ph, beginTeardown, tdCtx)
	if err == nil && ctx.Err() != nil {
		err = interrupted(ctx)
		r.run.Errors = append(r.run.Errors, err.Error())
	}
	return r.run, err
}

// drive runs the phases in order; the caller runs the cleanups.
func (r *repeat) drive(ctx context.Context, ph phases, beginTeardown func(), tdCtx context.Context) error {
	r.prog.phase("backend")
	if err := r.acquireBackend(ctx); err != nil {
		return err
	}
	// Creating queues and starting the service take a few requests: the
	// same budget as the teardown bounds them.
	setupCtx, cancelSetup := context.WithTimeout(ctx, teardownBudget(r.sc.Timeout))
	defer cancelSetup()
	if err := ph.setup(setupCtx, r); err != nil {
		return r.checkAnswers(tdCtx, err)
	}
	runCtx, cancelRun := context.WithDeadline(ctx, time.Now().Add(r.sc.Timeout))
	defer cancelRun()
	if r.sc.Load.Warmup > 0 {
		r.prog.phase("warm-up")
		if err := ph.warmup(runCtx, r); err != nil {
			return r.checkAnswers(tdCtx, err)
		}
	}
	if err := ph.measure(runCtx, r); err != nil {
		return r.checkAnswers(tdCtx, err)
	}
	r.prog.phase("shutdown")
	beginTeardown()
	ph.teardown(tdCtx, r)
	ph.assemble(r)
	if !r.drained && ctx.Err() == nil {
		return r.checkAnswers(tdCtx, nil)
	}
	return nil
}

// acquireBackend takes this repeat's backend from the invocation's set;
// the repeat's end releases it (closes it when it was the repeat's own).
func (r *repeat) acquireBackend(ctx context.Context) error {
	b, err := r.opt.backends().acquire(ctx, r.opt.backendConfig(r.sc))
	if err != nil {
		return err
	}
	r.backend = b
	r.onEnd(func(ctx context.Context) {
		if err := b.release(ctx); err != nil {
			r.run.Warnings = append(r.run.Warnings, "closing the SQS backend: "+err.Error())
		}
	})
	r.run.Backend = b.Kind
	r.run.BackendInstance = b.ID
	r.run.Metrics[metric.BackendStart] = b.Start.Seconds()
	return nil
}

// checkAnswers turns a run that ended badly into a clear error when the
// SQS endpoint no longer answers at all: without it, a hung endpoint
// reads as a timeout of the service under test. err is returned
// unchanged when the endpoint answers.
func (r *repeat) checkAnswers(ctx context.Context, err error) error {
	if r.backend.Backend == nil || r.backend.Client == nil {
		return err
	}
	// Its own short deadline: the teardown's may be spent already.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer cancel()
	_, perr := r.backend.Client.ListQueues(actx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)})
	if perr == nil || actx.Err() == nil {
		return err // it answers, even if with an error
	}
	stopped := exitcode.Errorf(exitcode.Environment,
		"the SQS endpoint %s stopped answering (no reply to ListQueues within %s) during %s; the repeat was stopped (its timeout: %s) and cleaned up within %s; check the endpoint (-endpoint) or the backend's logs (-v)",
		r.backend.Endpoint, answerTimeout, r.label, r.sc.Timeout, teardownBudget(r.sc.Timeout))
	r.run.Errors = append(r.run.Errors, stopped.Error())
	if err != nil {
		return fmt.Errorf("%w (%v)", stopped, err)
	}
	return stopped
}

// interrupted is the error of a run stopped by a signal (ctx cancelled).
func interrupted(ctx context.Context) error {
	cause := context.Cause(ctx)
	return exitcode.Wrap(exitcode.Environment, fmt.Errorf("interrupted: %w", cause))
}

// boundedWait waits for done until ctx ends; it says whether done came.
func boundedWait(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// queuePrefix is this repeat's own queue prefix on a shared backend; a
// backend of its own needs none (its queue names stay as the scenario
// wrote them).
func (r *repeat) queuePrefix() string {
	if !sharedKind(r.backend.Kind) {
		return ""
	}
	return r.opt.backends().queuePrefix()
}
