package runner

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/fault"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/service"
)

// serviceConfig maps a scenario onto the service's configuration.
func serviceConfig(sc *scenario.Scenario, q sqsbackend.Queues, obs service.Observer, opt Options) (service.Config, error) {
	factory, ok := service.LookupHandler(sc.Service.Handler)
	if !ok {
		return service.Config{}, exitcode.Errorf(exitcode.Usage,
			"%s: service.handler: no handler named %q is registered (built in: download, noop; register your own with service.RegisterHandler)",
			sc.File, sc.Service.Handler)
	}
	handler, err := factory(downloadConfig(sc))
	if err != nil {
		return service.Config{}, exitcode.Errorf(exitcode.Usage, "%s: service.handler %q: %v", sc.File, sc.Service.Handler, err)
	}
	cfg := service.Config{
		JobsQueueURL:       q.Jobs,
		TasksQueueURL:      q.Tasks,
		DeadLetterQueueURL: q.DeadLetter,
		Workers:            sc.Service.Workers,
		MaxConcurrentJobs:  sc.Service.MaxConcurrentJobs,
		MaxQueueSize:       sc.Service.MaxQueueSize,
		FailureRate:        sc.Service.FailureRate,
		CrashRate:          sc.Service.CrashRate,
		Seed:               sc.Service.Seed,
		Pollers:            sc.Service.Pollers,
		WaitTime:           sc.SQS.WaitTime,
		VisibilityTimeout:  sc.SQS.VisibilityTimeout,
		ShutdownTimeout:    sc.Service.ShutdownTimeout,
		Handler:            handler,
		Observer:           obs,
		Logger:             opt.logger(),
	}
	if err := cfg.Validate(); err != nil {
		return service.Config{}, exitcode.Errorf(exitcode.Usage, "%s: service settings: %v", sc.File, err)
	}
	return cfg, nil
}

func downloadConfig(sc *scenario.Scenario) service.DownloadConfig {
	t := sc.Service.Task
	return service.DownloadConfig{
		CPU:         t.CPU,
		IOWait:      distribution(t.IOWait),
		Alloc:       int(t.Alloc),
		PayloadSize: int(t.Payload),
		Seed:        sc.Service.Seed,
	}
}

func distribution(d scenario.Dist) service.Distribution {
	switch d.Kind {
	case "uniform":
		return service.Uniform(d.Min, d.Max)
	case "lognormal":
		return service.LogNormal(d.Median, d.P99)
	}
	return service.Constant(d.Value)
}

// newFaultInjector returns an SQS client whose calls pass through the
// scenario's fault injection, and the injector to read its counts from, or
// nils when no fault is configured. Only the
// service uses it: the load driver and the runner's own accounting talk to
// SQS directly, so a fault can never be mistaken for a lost message.
func newFaultInjector(f scenario.SQSFaults, base *sqs.Client) (*sqs.Client, *fault.Transport) {
	cfg := fault.Config{
		ThrottleRate: f.ThrottleRate,
		ErrorRate:    f.ErrorRate,
		TimeoutRate:  f.TimeoutRate,
		DropRate:     f.DropRate,
		LatencyRate:  f.LatencyRate,
		Latency:      f.Latency,
		Seed:         f.Seed,
	}
	if !cfg.Enabled() {
		return nil, nil
	}
	opts := base.Options()
	var inner http.RoundTripper = http.DefaultTransport
	if hc, ok := opts.HTTPClient.(*http.Client); ok && hc.Transport != nil {
		inner = hc.Transport
	}
	tr := fault.New(inner, cfg)
	return sqs.New(opts, func(o *sqs.Options) { o.HTTPClient = &http.Client{Transport: tr} }), tr
}

// serviceClient is the SQS client the service under test is given, and
// the one place it is built: the scenario's fault injection, then a
// switch that ends the service's long polls once the run is accounted
// for. Wrappers that observe the service's SQS traffic go here.
type serviceClient struct {
	service.SQSAPI
	faults *fault.Transport
	// cut ends in-flight and future long polls (cutLongPolls).
	cut       context.Context
	cutCancel context.CancelFunc
}

func newServiceClient(f scenario.SQSFaults, base *sqs.Client) *serviceClient {
	c := &serviceClient{SQSAPI: base}
	if faulty, tr := newFaultInjector(f, base); faulty != nil {
		c.SQSAPI, c.faults = faulty, tr
	}
	c.cut, c.cutCancel = context.WithCancel(context.Background())
	return c
}

// ReceiveMessage is the service's receive, ended early (and empty) by
// cutLongPolls. A
// graceful shutdown waits for its pollers' long polls (up to the
// scenario's wait_time, 1 s by default, for each poller in turn) although
// at the end of a drained run they can only come back empty: that was
// each repeat's silent second in "shutdown".
func (c *serviceClient) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if c.cut.Err() != nil {
		return &sqs.ReceiveMessageOutput{}, nil
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.cut, cancel)
	defer stop()
	out, err := c.SQSAPI.ReceiveMessage(rctx, in, opts...)
	if err != nil && c.cut.Err() != nil && ctx.Err() == nil {
		// What the long poll would have answered had it waited: nothing.
		return &sqs.ReceiveMessageOutput{}, nil
	}
	return out, err
}

// cutLongPolls ends the service's receives: call it only when every
// message of the run is accounted for, so that no receive it cuts can
// have taken one of them (a receive cut while the server answers leaves
// its messages invisible until their visibility timeout, not lost).
func (c *serviceClient) cutLongPolls() { c.cutCancel() }

// faultCounts returns the injected faults' counts, nil when none were
// configured.
func (c *serviceClient) faultCounts() *fault.Counts {
	if c.faults == nil {
		return nil
	}
	counts := c.faults.Counts()
	return &counts
}

// crashPlan kills the service once a share of the tasks is processed.
type crashPlan struct {
	at       int // processed count that triggers the crash; 0 = never
	fired    bool
	killedAt time.Time
}

func newCrashPlan(c scenario.CrashFault, totalTasks int) *crashPlan {
	p := &crashPlan{}
	if c.After > 0 {
		p.at = max(1, int(c.After*float64(totalTasks)))
	}
	return p
}

func (p *crashPlan) due(pr collect.Progress) bool {
	if p.at == 0 || p.fired || pr.Processed < p.at {
		return false
	}
	p.fired = true
	return true
}

func (p *crashPlan) String() string { return fmt.Sprintf("crash after %d tasks", p.at) }
