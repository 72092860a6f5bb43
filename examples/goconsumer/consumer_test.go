package goconsumer

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/ledger"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// running is a consumer started in-process; stop is its SIGTERM.
type running struct {
	stop func() error
	done chan error
	logs *syncbuf.Buffer
}

func start(t *testing.T, e *harness.Env, extra ...string) *running {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range e.ConsumerEnv(extra...) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := ConfigFromEnv(getenv)
	require.NoError(t, err)
	httpc := &http.Client{}
	t.Cleanup(httpc.CloseIdleConnections)
	client, err := NewClient(t.Context(), getenv, httpc)
	require.NoError(t, err)
	logs := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	r := &running{done: make(chan error, 1), logs: logs}
	go func() { r.done <- New(client, cfg, slog.New(slog.NewTextHandler(logs, nil))).Run(ctx) }()
	r.stop = func() error {
		cancel()
		select {
		case err := <-r.done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("the consumer did not stop within 30 s of its SIGTERM; log:\n%s", logs.String())
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return r
}

func TestConsumerLosesNothing(t *testing.T) {
	e := harness.Start(t, harness.Queues{VisibilityTimeout: 1, MaxReceiveCount: 2})
	e.SendJobs(100, 3)
	poison := e.SendRaw("not a job")
	r := start(t, e, "WORKER_POOL_SIZE=2", "MAX_QUEUE_SIZE=2", "TASK_IO_WAIT=1ms")

	e.WaitFor("every message processed or dead-lettered", time.Minute, nil, ledger.Summary.Settled)
	require.NoError(t, r.stop())

	s := e.Ledger.Summary()
	require.Zero(t, s.Lost, "lost: %v", s.LostIDs)
	require.Zero(t, s.InFlight)
	require.Zero(t, s.Waiting)
	require.Equal(t, 1, s.DeadLettered)
	require.Equal(t, 100, s.Queues["export-jobs"].Processed)
	require.Positive(t, s.Queues["download-tasks"].Sent, "the pool of 2+2 overflowed to download-tasks")
	require.Equal(t, s.Queues["download-tasks"].Sent, s.Queues["download-tasks"].Processed)
	for _, m := range e.Ledger.Lives() {
		if m.ID == poison {
			require.Equal(t, "dlq", m.DeadLetterQ)
			require.Equal(t, 2, m.Receives)
		}
	}
}

func TestConsumerReleasesUnfinishedWorkOnShutdown(t *testing.T) {
	e := harness.Start(t, harness.Queues{VisibilityTimeout: 300, MaxReceiveCount: 5})
	e.SendJobs(50, 2)
	r := start(t, e, "WORKER_POOL_SIZE=2", "MAX_QUEUE_SIZE=4", "TASK_IO_WAIT=200ms", "SHUTDOWN_TIMEOUT=0s")
	e.WaitFor("some work done", time.Minute, nil, func(s ledger.Summary) bool { return s.Processed > 0 && s.InFlight > 0 })
	require.NoError(t, r.stop())
	s := e.Ledger.Summary()
	require.Zero(t, s.InFlight, "every unfinished message is released on shutdown, not left to its 300 s timeout")
	require.Zero(t, s.Lost, "lost: %v", s.LostIDs)
	require.Positive(t, s.Waiting)
	require.Equal(t, s.Sent, s.Processed+s.Waiting)
}

// A consumer that forgets one job in a thousand (never deletes it, never
// gives it back) is reported with that job's exact message id.
func TestBrokenConsumerIsReportedWithTheExactLostIDs(t *testing.T) {
	e := harness.Start(t, harness.Queues{VisibilityTimeout: 2, MaxReceiveCount: 10})
	ids := e.SendJobs(1000, 1)
	var want []string
	for job, id := range ids {
		if harness.Dropped(job, 1000) {
			want = append(want, id)
		}
	}
	require.NotEmpty(t, want, "the job ids must include one DROP_ONE_IN=1000 drops")
	r := start(t, e, "WORKER_POOL_SIZE=4", "MAX_QUEUE_SIZE=8", "DROP_ONE_IN=1000")

	e.WaitFor("everything but the dropped jobs processed", 2*time.Minute, nil, func(s ledger.Summary) bool {
		return s.Processed == s.Sent-len(want)
	})
	require.NoError(t, r.stop())
	s := e.WaitFor("the dropped jobs' visibility timeout to run out", 30*time.Second, nil, func(s ledger.Summary) bool {
		return s.Lost == len(want)
	})
	var got []string
	for _, m := range s.LostIDs {
		got = append(got, m.ID)
		require.Equal(t, "export-jobs", m.Queue)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got)
	require.Zero(t, s.DeadLettered)
	require.Zero(t, s.InFlight)
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	env := map[string]string{"SQS_EXPORT_JOBS_URL": "http://h/1/a", "WORKER_POOL_SIZE": "zero", "TASK_IO_WAIT": "soon"}
	_, err := ConfigFromEnv(func(k string) string { return env[k] })
	require.Error(t, err)
	for _, want := range []string{"SQS_DOWNLOAD_TASKS_URL", "WORKER_POOL_SIZE=\"zero\"", "TASK_IO_WAIT=\"soon\""} {
		require.Contains(t, err.Error(), want)
	}
	_ = os.Getenv // the command reads the process environment; tests pass their own
}
