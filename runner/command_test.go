package runner_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// testConsumerEnv makes this test binary a minimal SQS consumer (see
// runTestConsumerIfRequested): the external program of the command tests,
// with no build step and no other language needed.
const testConsumerEnv = "SQSPERF_TEST_CONSUMER"

// runTestConsumerIfRequested runs the test consumer and exits when the
// binary was started as one. Modes: "ok" deletes every message of both
// work queues; "crash" exits with status 3 after its first message;
// "drop" is a broken consumer that never deletes (nor releases) the
// 5th, 15th, 25th... job message it receives, every time it comes
// back, and prints "test consumer: dropped ID" for each.
func runTestConsumerIfRequested() {
	mode := os.Getenv(testConsumerEnv)
	if mode == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	client := sqs.New(sqs.Options{
		Region:       os.Getenv("AWS_REGION"),
		BaseEndpoint: aws.String(os.Getenv("AWS_ENDPOINT_URL_SQS")),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	fmt.Println("test consumer: polling", os.Getenv("SQS_EXPORT_JOBS_URL"))
	var mu sync.Mutex
	seen, dropped := map[string]bool{}, map[string]bool{}
	// drop tells whether the drop mode forgets message id of queue url.
	drop := func(url, id string) bool {
		if mode != "drop" || url != os.Getenv("SQS_EXPORT_JOBS_URL") {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if !seen[id] {
			seen[id] = true
			if len(seen)%10 == 5 {
				dropped[id] = true
				fmt.Println("test consumer: dropped", id)
			}
		}
		return dropped[id]
	}
	done := make(chan error, 2)
	for _, url := range []string{os.Getenv("SQS_EXPORT_JOBS_URL"), os.Getenv("SQS_DOWNLOAD_TASKS_URL")} {
		go func() {
			for ctx.Err() == nil {
				out, err := client.ReceiveMessage(context.WithoutCancel(ctx), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					done <- err
					return
				}
				for _, m := range out.Messages {
					if mode == "crash" {
						fmt.Fprintln(os.Stderr, "test consumer: boom on", aws.ToString(m.MessageId))
						os.Exit(3)
					}
					if drop(url, aws.ToString(m.MessageId)) {
						continue
					}
					if _, err := client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
						done <- err
						return
					}
				}
			}
			done <- nil
		}()
	}
	code := 0
	for range 2 {
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "test consumer:", err)
			code = 1
		}
	}
	fmt.Println("test consumer: stopped")
	os.Exit(code)
}

// commandScenario is a small scenario whose service is this test binary
// as a consumer in the given mode.
func commandScenario(t *testing.T, mode, extra string) *scenario.Scenario {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	src := fmt.Sprintf(`name: command-test
timeout: 30s
service:
  command:
    argv: [%s, -test.run=^$]
    env: {%s: %s, QUEUE_SEEN: "${SQS_EXPORT_JOBS_URL}"}
    grace: 5s
%s
sqs: {visibility_timeout: 2s, wait_time: 1s}
load: {jobs: 40, tasks_per_job: 4, batches: 2, warmup: 4}
thresholds:
  - server.lost == 0
`, strconv.Quote(exe), testConsumerEnv, mode, extra)
	sc, err := scenario.Parse(filepath.Join(t.TempDir(), "command.yaml"), []byte(src))
	require.NoError(t, err, src)
	return sc
}

func TestCommandConsumerIsMeasuredAndAccounted(t *testing.T) {
	dir := t.TempDir()
	res, err := runner.Run(t.Context(), commandScenario(t, "ok", ""), runner.Options{ProfileDir: dir})
	require.NoError(t, err)
	run := res.Cases[0].Runs[0]
	require.Empty(t, run.Errors)
	require.NotNil(t, run.Server)
	t.Logf("cpu.per_message %.1fµs, rss %.1f MiB, threads %.0f, start-up %.0fms", run.Metrics["cpu.per_message"]*1e6,
		run.Metrics["process.rss.peak"]/(1<<20), run.Metrics["process.threads.max"], run.Metrics["process.startup"]*1e3)
	assert.Equal(t, 40, run.Server.Sent, "the warm-up's 4 jobs are left out")
	assert.Equal(t, 40, run.Server.Processed)
	assert.Zero(t, run.Server.Lost)
	assert.Zero(t, run.Metrics["lost"])
	assert.Equal(t, 160.0, run.Metrics["sent"])
	for _, key := range []string{"cpu.per_message", "process.rss.peak", "process.threads.max", "process.startup", "throughput", "server.time_in_service.p50"} {
		assert.Positive(t, run.Metrics[key], key)
	}
	for _, key := range []string{"sched.latency.p99", "heap.live.max", "stage.process.p99"} {
		_, measured := run.Metrics[key]
		assert.False(t, measured, "%s needs the Go runtime of the service: not measured", key)
	}
	require.Len(t, run.Profiles, 1)
	out, err := os.ReadFile(filepath.Join(dir, run.Profiles[0].Path))
	require.NoError(t, err)
	assert.Contains(t, string(out), "test consumer: polling http://127.0.0.1:")
	assert.Contains(t, string(out), "test consumer: stopped", "stopped by SIGTERM, gracefully")
}

func TestCommandReadyOnALogLine(t *testing.T) {
	res, err := runner.Run(t.Context(), commandScenario(t, "ok", "    ready: {log: 'consumer: polling'}"), runner.Options{})
	require.NoError(t, err)
	assert.Empty(t, res.Cases[0].Runs[0].Errors)
}

func TestCommandThatCrashesIsAnEnvironmentError(t *testing.T) {
	_, err := runner.Run(t.Context(), commandScenario(t, "crash", ""), runner.Options{})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err), "%v", err)
	assert.Contains(t, err.Error(), "exited during the run (exit status 3)")
	assert.Contains(t, err.Error(), "-test.run=^$", "the command is named")
	assert.Contains(t, err.Error(), "test consumer: boom on", "the tail of its output")
}

func TestCommandNeverReadyIsAnEnvironmentError(t *testing.T) {
	start := time.Now()
	_, err := runner.Run(t.Context(), commandScenario(t, "ok", "    ready: {log: never printed}\n    ready_timeout: 1s"), runner.Options{})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err), "%v", err)
	assert.Contains(t, err.Error(), "was not ready within 1s")
	assert.Contains(t, err.Error(), `an output line matching "never printed"`)
	assert.Contains(t, err.Error(), "test consumer: polling")
	assert.Less(t, time.Since(start), 15*time.Second)
}

func TestCommandThatCannotStart(t *testing.T) {
	sc := commandScenario(t, "ok", "")
	sc.Service.Command.Argv = []string{"/nonexistent/consumer"}
	_, err := runner.Run(t.Context(), sc, runner.Options{})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.True(t, strings.Contains(err.Error(), "/nonexistent/consumer could not be started"), err.Error())
}

func TestCommandRefusesOtherBackendsAndLoadOnly(t *testing.T) {
	_, err := runner.Run(t.Context(), commandScenario(t, "ok", ""), runner.Options{Backend: "localstack"})
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "embedded backend only")
}

// droppedIDs are the message ids the "drop" test consumer printed as
// dropped in its output (command.log, in dir).
func droppedIDs(t *testing.T, dir string, run *result.Run) []string {
	t.Helper()
	require.Len(t, run.Profiles, 1)
	out, err := os.ReadFile(filepath.Join(dir, run.Profiles[0].Path))
	require.NoError(t, err)
	var ids []string
	for _, line := range strings.Split(string(out), "\n") {
		if id, ok := strings.CutPrefix(line, "test consumer: dropped "); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

func messageIDs(ms []result.LostMessage) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// A consumer that drops one job message in ten is reported with the
// exact ids of what it dropped, whichever way the SQS server ends them,
// and the run fails its thresholds (exit 1).
func TestCommandThatDropsMessagesIsReportedWithTheExactIDs(t *testing.T) {
	scenarioOf := func(t *testing.T, sqs string) *scenario.Scenario {
		exe, err := os.Executable()
		require.NoError(t, err)
		src := fmt.Sprintf(`name: command-drop
timeout: %s
service:
  command:
    argv: [%s, -test.run=^$]
    env: {%s: drop}
    grace: 5s
sqs: {%s}
load: {jobs: 40, tasks_per_job: 2, warmup: 0}
thresholds:
  - server.lost == 0
  - server.in_flight == 0
  - server.dead_lettered == 0
`, map[bool]string{true: "15s", false: "30s"}[strings.Contains(sqs, "60s")], strconv.Quote(exe), testConsumerEnv, sqs)
		sc, err := scenario.Parse(filepath.Join(t.TempDir(), "drop.yaml"), []byte(src))
		require.NoError(t, err, src)
		return sc
	}
	t.Run("held", func(t *testing.T) {
		// A visibility timeout longer than the run: the dropped messages
		// are still held when the run times out waiting for them and the
		// consumer is stopped (a shorter one makes each lost or held,
		// depending on when it last came back).
		dir := t.TempDir()
		res, code, err := runner.RunAndJudge(t.Context(), scenarioOf(t, "visibility_timeout: 60s, wait_time: 1s"),
			runner.Options{ProfileDir: dir}, runner.JudgeOptions{TimeAsInfo: true})
		require.NoError(t, err)
		assert.Equal(t, exitcode.Threshold, code)
		run := res.Cases[0].Runs[0]
		require.NotNil(t, run.Server)
		want := droppedIDs(t, dir, &run)
		require.Len(t, want, 4, "the 5th, 15th, 25th and 35th of 40 jobs")
		assert.ElementsMatch(t, want, messageIDs(run.Server.InFlightIDs), "in flight: %v", run.Server.InFlightIDs)
		assert.Equal(t, 4, run.Server.InFlight)
		assert.Equal(t, 36, run.Server.Processed)
		assert.Empty(t, run.Server.LostIDs)
		assert.Empty(t, run.Server.DeadLetteredIDs)
		errs := strings.Join(run.Errors, "\n")
		for _, id := range want {
			assert.Contains(t, errs, id, "the run's error names the held message")
		}
	})
	t.Run("dead-lettered", func(t *testing.T) {
		// Two receives, then the redrive policy takes each dropped
		// message: the run settles, and names them as dead-lettered.
		dir := t.TempDir()
		res, code, err := runner.RunAndJudge(t.Context(), scenarioOf(t, "visibility_timeout: 1s, max_receive_count: 2, wait_time: 1s"),
			runner.Options{ProfileDir: dir}, runner.JudgeOptions{TimeAsInfo: true})
		require.NoError(t, err)
		assert.Equal(t, exitcode.Threshold, code)
		run := res.Cases[0].Runs[0]
		require.NotNil(t, run.Server)
		want := droppedIDs(t, dir, &run)
		require.Len(t, want, 4)
		assert.ElementsMatch(t, want, messageIDs(run.Server.DeadLetteredIDs))
		assert.Equal(t, 4, run.Server.DeadLettered)
		assert.Zero(t, run.Server.Lost)
		assert.Zero(t, run.Server.InFlight)
		for _, m := range run.Server.DeadLetteredIDs {
			assert.Equal(t, 2, m.Receives, m.ID)
		}
	})
}
