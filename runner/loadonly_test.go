package runner_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
	"github.com/sqsperf/sqsperf/service"
)

// teamQueues creates the queues a team would have made for its service:
// a dead-letter queue and two work queues redriving to it.
func teamQueues(t *testing.T, client *sqs.Client) sqsbackend.Queues {
	t.Helper()
	ctx := t.Context()
	create := func(name string, attrs map[string]string) string {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		require.NoError(t, err)
		return aws.ToString(out.QueueUrl)
	}
	q := sqsbackend.Queues{DeadLetter: create("team-export-dlq", nil)}
	arn, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.DeadLetter), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	work := map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout): "5",
		string(types.QueueAttributeNameRedrivePolicy): `{"deadLetterTargetArn":"` +
			arn.Attributes[string(types.QueueAttributeNameQueueArn)] + `","maxReceiveCount":"5"}`,
	}
	q.Jobs = create("team-export-jobs", work)
	q.Tasks = create("team-download-tasks", work)
	return q
}

// remoteService runs the real service on q as if on another machine; it
// reports the job ids it finished tasks for.
type remoteService struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	jobs   map[string]int // job id -> tasks finished
}

func startRemoteService(t *testing.T, client *sqs.Client, q sqsbackend.Queues) *remoteService {
	t.Helper()
	rs := &remoteService{done: make(chan error, 1), jobs: map[string]int{}}
	svc, err := service.New(client, service.Config{
		JobsQueueURL:       q.Jobs,
		TasksQueueURL:      q.Tasks,
		DeadLetterQueueURL: q.DeadLetter,
		Workers:            4,
		WaitTime:           time.Second,
		VisibilityTimeout:  5 * time.Second,
		ShutdownTimeout:    4 * time.Second,
		Observer: service.ObserverFunc(func(e service.Event) {
			if e.Kind == service.Finished {
				rs.mu.Lock()
				rs.jobs[e.JobID]++
				rs.mu.Unlock()
			}
		}),
	})
	require.NoError(t, err)
	// The service outlives the test's context on purpose: rs.stop, a
	// cleanup, stops it and checks how it ended.
	ctx, cancel := context.WithCancel(context.Background())
	rs.cancel = cancel
	go func() { rs.done <- svc.Run(ctx) }()
	t.Cleanup(func() { rs.stop(t) })
	return rs
}

// stop ends the service and fails t if it ended with an error. It runs in
// the test's goroutine (a cleanup), where t.Errorf is allowed: a panic here
// would abort the whole test binary instead of failing this test.
func (rs *remoteService) stop(t testing.TB) {
	t.Helper()
	if rs.cancel == nil {
		return
	}
	rs.cancel()
	if err := <-rs.done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("the remote service failed: %v", err)
	}
	rs.cancel = nil
}

func (rs *remoteService) finishedJobs() map[string]int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make(map[string]int, len(rs.jobs))
	for k, v := range rs.jobs {
		out[k] = v
	}
	return out
}

func noEnv(string) string { return "" }

func loadOnlyOptions(srv *sqsemu.Server, q sqsbackend.Queues) runner.Options {
	return runner.Options{LoadOnly: true, Backend: sqsbackend.Endpoint, Endpoint: srv.URL, Queues: q, Getenv: noEnv}
}

func threshold(t *testing.T, res *result.Scenario, expr string) result.ThresholdResult {
	t.Helper()
	for _, tr := range res.Thresholds {
		if tr.Expr == expr {
			return tr
		}
	}
	require.Failf(t, "threshold not judged", "%q is not among %+v", expr, res.Thresholds)
	return result.ThresholdResult{}
}

// TestLoadOnlyAgainstARemoteService loads a service the runner did not
// start, from two "machines" at once (two concurrent runs), and judges by
// the queues: throughput and depth are measured, per-id accounting is
// honestly absent, and the team's queues and dead letters are untouched.
func TestLoadOnlyAgainstARemoteService(t *testing.T) {
	ctx := t.Context()
	srv := sqsemu.NewServer()
	defer srv.Close()
	admin := srv.Client()
	q := teamQueues(t, admin)
	// A dead letter the service's owners have not looked at yet: the
	// runner must count around it, not consume it.
	_, err := admin.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.DeadLetter), MessageBody: aws.String(`{"owners":"still need this"}`)})
	require.NoError(t, err)
	rs := startRemoteService(t, admin, q)

	sc, err := scenario.Load("testdata/loadonly.yaml")
	require.NoError(t, err)

	const machines = 2
	results := make([]*result.Scenario, machines)
	errs := make([]error, machines)
	var wg sync.WaitGroup
	for i := range machines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = runner.Run(ctx, sc, loadOnlyOptions(srv, q))
		}()
	}
	wg.Wait()

	for i, res := range results {
		require.NoError(t, errs[i])
		code := runner.Judge(res, sc, runner.JudgeOptions{})
		run := res.Cases[0].Runs[0]
		t.Logf("machine %d: duration %.2fs, throughput %.1f/s, queue.depth.max %.0f", i, run.Metrics["duration"], run.Metrics["throughput"], run.Metrics["queue.depth.max"])
		require.Empty(t, run.Errors, "machine %d: the queues drained, so the run has no errors", i)
		assert.Equal(t, sqsbackend.Endpoint, run.Backend)
		assert.Equal(t, 30.0, run.Metrics["jobs.sent"])
		assert.Equal(t, 60.0, run.Metrics["sent"])
		assert.Greater(t, run.Metrics["duration"], 0.0)
		assert.InDelta(t, run.Metrics["sent"]/run.Metrics["duration"], run.Metrics["throughput"], 1e-9)
		assert.Contains(t, run.Metrics, "queue.depth.max")
		assert.Equal(t, 0.0, run.Metrics["dead_lettered.queue"], "nothing new was dead-lettered; the old dead letter is not this run's")
		for _, key := range []string{"lost", "processed", "duplicates", "cpu.per_message", "latency.job.p50"} {
			assert.NotContains(t, run.Metrics, key, "per-id metrics cannot be measured from the queues")
		}
		assert.True(t, threshold(t, res, "throughput > 1/s").Pass)
		assert.True(t, threshold(t, res, "queue.depth.max <= 100").Pass)
		lost := threshold(t, res, "lost == 0")
		assert.False(t, lost.Pass, "an unmeasured loss must not pass")
		assert.Contains(t, lost.Error, "not measured")
		assert.Equal(t, exitcode.Threshold, code)
		assert.Contains(t, run.Warnings, "load-only: per-id accounting (processed, lost, duplicates, retried, latency and stage timings, cpu/alloc per message) "+
			"needs the service's events and is not measured; thresholds on those metrics fail as not measured. "+
			"Run the scenario without -load-only (the service in-process) to account for every task id")
	}

	// Both machines' jobs reached the service under distinct ids.
	jobs := rs.finishedJobs()
	assert.Len(t, jobs, machines*30, "every job of both machines arrives with its own id")
	for id, tasks := range jobs {
		assert.GreaterOrEqual(t, tasks, 2, "job %s finished all its tasks", id)
	}

	// The team's queues are still there, and its dead letter too.
	for _, name := range []string{"team-export-jobs", "team-download-tasks", "team-export-dlq"} {
		_, err := admin.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		assert.NoError(t, err, "%s must not be deleted by a load-only run", name)
	}
	dlq, err := probe.ReadDepth(ctx, admin, q.DeadLetter)
	require.NoError(t, err)
	assert.Equal(t, int64(1), dlq.Total(), "the dead-letter queue is read, never consumed")
}

// TestLoadOnlyTimeoutSaysWhatRemains runs with no service behind the
// queues: nothing drains, and the run fails saying how much is left.
func TestLoadOnlyTimeoutSaysWhatRemains(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	q := teamQueues(t, srv.Client())
	sc, err := scenario.Load("testdata/loadonly.yaml")
	require.NoError(t, err)
	sc = sc.Clone()
	// Long enough to send 30 jobs on a busy machine; nothing drains them.
	sc.Timeout = 3 * time.Second

	res, err := runner.Run(t.Context(), sc, loadOnlyOptions(srv, q))
	require.NoError(t, err)
	run := res.Cases[0].Runs[0]
	require.Len(t, run.Errors, 1)
	assert.Contains(t, run.Errors[0], "30 messages remain (jobs 30, tasks 0")
	assert.Equal(t, 30.0, run.Metrics["jobs.sent"])
}

func TestLoadOnlyRefusesMissingOrUnknownQueues(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	q := teamQueues(t, srv.Client())
	sc, err := scenario.Load("testdata/loadonly.yaml")
	require.NoError(t, err)
	ctx := t.Context()

	missing := q
	missing.Tasks = ""
	_, err = runner.Run(ctx, sc, loadOnlyOptions(srv, missing))
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "-tasks-queue-url")

	unknown := q
	unknown.DeadLetter = srv.URL + "/000000000000/no-such-queue"
	_, err = runner.Run(ctx, sc, loadOnlyOptions(srv, unknown))
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "-dlq-url")

	wrong := loadOnlyOptions(srv, q)
	wrong.Backend = sqsbackend.Embedded
	_, err = runner.Run(ctx, sc, wrong)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "-backend endpoint")

	jobs, err := probe.ReadDepth(ctx, srv.Client(), q.Jobs)
	require.NoError(t, err)
	assert.Zero(t, jobs.Total(), "a refused run sends nothing")
}

// errorRecorder is a testing.TB whose Errorf is recorded, to check that a
// helper reports a failure through t rather than panicking.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Helper() {}
func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// A remote service that ended with an error fails the test that started
// it; it used to panic in the cleanup, which aborts every test of the binary.
func TestRemoteServiceStopFailsTheTest(t *testing.T) {
	rs := &remoteService{cancel: func() {}, done: make(chan error, 1)}
	rs.done <- errors.New("boom")
	rec := &errorRecorder{TB: t}
	rs.stop(rec)
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "the remote service failed: boom")

	rs.stop(rec) // stopped already: nothing more to report
	assert.Len(t, rec.errs, 1)
}
