// Package runner runs one scenario end to end: for each matrix case and
// repeat it takes an SQS backend (a fresh embedded one, or the
// invocation's shared LocalStack or endpoint, see Backends), creates the
// repeat's queues, starts the service in-process, drives the load, waits
// until every message is accounted for, and collects the measurements
// (runRepeat: setup, warm-up, measure, teardown). Judging (thresholds, baselines) and
// reporting happen in Judge and in the report package, so a run's result
// can be stored, compared and re-judged without running again.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// Options tune how scenarios run; zero values mean "as the scenario says".
type Options struct {
	// Repeats overrides the scenario's repeat count when > 0.
	Repeats int
	// Size scales every count in the scenario (see scenario.Scale); 0 or 1
	// leaves it unchanged.
	Size float64
	// Backend and Endpoint override the scenario's SQS backend when set.
	Backend  string
	Endpoint string
	// Progress receives human progress lines; nil means quiet.
	Progress io.Writer
	// Interactive redraws one progress line in place instead of printing
	// a line per phase.
	Interactive bool
	// Getenv looks up environment variables (LOCALSTACK_AUTH_TOKEN,
	// AWS_* for the endpoint backend). Nil means none are set.
	Getenv func(string) string
	// Logger receives the service's and backend's logs; nil discards them.
	Logger *slog.Logger
	// Monitor shows the live queue view on Progress during the load
	// instead of the progress line (interactive terminals only).
	Monitor bool
	// DisableProbes runs without the runtime and queue probes: only to
	// measure what the probes cost (BenchmarkProbeOverhead).
	DisableProbes bool
	// ProfileDir is where profiles are written when the scenario asks for
	// them; empty disables profiles.
	ProfileDir string
	// AllocProfiles keeps every run's measured-window allocation profile
	// (allocs.pprof) in ProfileDir, for a service in this process. The
	// interleaved A/B asks for it (profile.AllocsEnv=1 in its runners'
	// environment) to diff its two sides. It is off otherwise: a stored
	// baseline has no profile to diff with, and parsing profiles in the
	// measured process adds work and allocation sites there (the sites,
	// read at the window's ends while they were live, once put
	// heap.live.max +50-65% on scalability; collect.ReadAllocProfile now
	// collects them, but a run judged against numbers gains nothing from
	// paying for the profile).
	AllocProfiles bool
	// LoadOnly sends the scenario's load to the queues of a service that
	// runs elsewhere and judges the run by queue metrics (see
	// loadOnlyRun): no queue is created or deleted and no service is
	// started, so several machines can load one service at once.
	LoadOnly bool
	// Queues are that service's queue URLs (Jobs, Tasks and DeadLetter,
	// all required with LoadOnly; Names is unused).
	Queues sqsbackend.Queues
	// Backends are the invocation's SQS backends, shared by the runs that
	// are given the same set (see Backends); nil means Run opens its own
	// and closes them when it returns.
	Backends *Backends

	// consumer is RunConsumer's in-process consumer; nil runs the
	// built-in service (or the scenario's service.command).
	consumer ConsumerFunc
}

func (o Options) backends() *Backends { return o.Backends }

// backendConfig says which backend a scenario runs on.
func (o Options) backendConfig(sc *scenario.Scenario) sqsbackend.Config {
	cfg := sqsbackend.Config{
		Kind:     sc.SQS.Backend,
		Endpoint: sc.SQS.Endpoint,
		Region:   sc.SQS.Region,
		Getenv:   o.Getenv,
		Logger:   o.logger(),
	}
	if o.Backend != "" {
		cfg.Kind = o.Backend
	}
	if o.LoadOnly {
		cfg.Kind = sqsbackend.Endpoint
	}
	if o.Endpoint != "" {
		cfg.Endpoint = o.Endpoint
	}
	return cfg
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// scale is the size factor Effective applies: 0 when the scenario runs
// as written.
func (o Options) scale() float64 {
	if o.Size > 0 && o.Size != 1 {
		return o.Size
	}
	return 0
}

// Effective applies the options' size factor and repeat override to a
// scenario and returns the copy that will run.
func (o Options) Effective(sc *scenario.Scenario) *scenario.Scenario {
	if o.Size > 0 && o.Size != 1 {
		sc = sc.Scale(o.Size)
	}
	return sc
}

// Run executes every case and repeat of sc and returns the measurements,
// not yet judged. A backend that cannot start is an error carrying
// exitcode.Environment; a run that times out is kept, with the timeout
// recorded in its Errors (its accounting then shows what was lost). When
// ctx is cancelled (a signal), the repeat under way stops, is cleaned up
// and kept, and the error says the run was interrupted.
func Run(ctx context.Context, sc *scenario.Scenario, opt Options) (*result.Scenario, error) {
	sc = opt.Effective(sc)
	cases, err := sc.Cases()
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	repeats := max(1, sc.Repeats)
	if opt.Repeats > 0 {
		repeats = opt.Repeats
	}
	if opt.Backends == nil {
		opt.Backends = NewBackends()
		defer func() {
			// Bounded like a repeat's teardown: a backend that stopped
			// answering must not hold the exit.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownBudget(sc.Timeout))
			defer cancel()
			_ = opt.Backends.Close(cctx)
		}()
	}
	out := &result.Scenario{
		SchemaVersion: result.SchemaVersion,
		Name:          sc.Name,
		Description:   sc.Description,
		File:          sc.File,
		Hash:          sc.Hash(),
		Size:          opt.scale(),
		Environment:   fingerprint.Current(opt.backendConfig(sc).Kind).Environment(),
		Started:       time.Now().UTC(),
	}
	defer func() { out.Backends = opt.Backends.instances() }()
	for _, c := range cases {
		rc := result.Case{Name: c.Name, Params: c.Params}
		for rep := 1; rep <= repeats; rep++ {
			if ctx.Err() != nil {
				break
			}
			label := c.Name
			if repeats > 1 {
				label = fmt.Sprintf("%s #%d/%d", c.Name, rep, repeats)
			}
			r, err := runOnce(ctx, c.Scenario, rep, label, opt)
			if err != nil {
				// What was measured so far is kept (an interrupted run
				// writes it).
				rc.Runs = append(rc.Runs, r)
				out.Cases = append(out.Cases, rc)
				return out, err
			}
			rc.Runs = append(rc.Runs, r)
		}
		if len(rc.Runs) > 0 {
			out.Cases = append(out.Cases, rc)
		}
		if ctx.Err() != nil {
			return out, interrupted(ctx)
		}
	}
	return out, nil
}

// envError marks backend failures as environment failures unless they
// already carry a code.
func envError(err error) error {
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return err
	}
	return exitcode.Wrap(exitcode.Environment, err)
}
