package goconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

func TestMain(m *testing.M) {
	// The scenario test runs the embedded SQS server as a child process
	// of this test binary.
	sqsbackend.ServeChildIfRequested()
	goleak.VerifyTestMain(m)
}

// running is a consumer started in-process; stop is its SIGTERM.
type running struct {
	cancel context.CancelFunc
	done   chan error
	err    error
	exited bool
	logs   *syncbuf.Buffer
}

func (r *running) Alive() error {
	select {
	case err := <-r.done:
		r.exited, r.err = true, err
	default:
	}
	if r.exited {
		return fmt.Errorf("Run returned %v; log:\n%s", r.err, r.logs.String())
	}
	return nil
}

func (r *running) Stop() error {
	r.cancel()
	if r.exited {
		return r.err
	}
	select {
	case err := <-r.done:
		r.exited, r.err = true, err
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the consumer did not stop within 30 s of its SIGTERM; log:\n%s", r.logs.String())
	}
}

func start(t *testing.T, e *harness.Env, extra ...string) harness.Consumer {
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
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	r := &running{cancel: cancel, done: make(chan error, 1), logs: &syncbuf.Buffer{}}
	go func() { r.done <- New(client, cfg, slog.New(slog.NewTextHandler(r.logs, nil))).Run(ctx) }()
	t.Cleanup(func() { _ = r.Stop() })
	return r
}

func TestConsumerLosesNothing(t *testing.T) { harness.CheckLosesNothing(t, start) }

func TestConsumerReleasesUnfinishedWorkOnShutdown(t *testing.T) {
	harness.CheckReleasesOnShutdown(t, start)
}

func TestBrokenConsumerIsReportedWithTheExactLostIDs(t *testing.T) {
	harness.CheckBrokenReportedExactly(t, start)
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
