package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
	"github.com/sqsperf/sqsperf/service"
)

func TestLoadOnlyFlagsAreCheckedBeforeAnythingRuns(t *testing.T) {
	const scenario = "testdata/tiny.yaml"
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no queue":           {[]string{"run", "-load-only", scenario}, "load-only mode needs -jobs-queue-url"},
		"no tasks queue":     {[]string{"run", "-load-only", "-jobs-queue-url", "http://127.0.0.1:1/q/jobs", scenario}, "load-only mode needs -tasks-queue-url"},
		"no dlq":             {[]string{"-load-only", "-jobs-queue-url", "http://127.0.0.1:1/q/jobs", "-tasks-queue-url", "http://127.0.0.1:1/q/tasks", "-scenario", scenario}, "load-only mode needs -dlq-url"},
		"url, no -load-only": {[]string{"run", "-dlq-url", "http://127.0.0.1:1/q/dlq", scenario}, "-dlq-url is only used with -load-only"},
		"embedded backend":   {[]string{"run", "-load-only", "-backend", "embedded", "-jobs-queue-url", "j", "-tasks-queue-url", "t", "-dlq-url", "d", scenario}, "use -backend endpoint"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCLI(t, nil, c.args...)
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err))
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestLoadOnlyCommandJudgesByQueues is the README's command against a
// service started here on queues made here: throughput passes, and the
// loss threshold fails as not measured instead of passing by default.
func TestLoadOnlyCommandJudgesByQueues(t *testing.T) {
	ctx := t.Context()
	srv := sqsemu.NewServer()
	defer srv.Close()
	client := srv.Client()
	url := func(name string) string {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		require.NoError(t, err)
		return aws.ToString(out.QueueUrl)
	}
	jobs, tasks, dlq := url("jobs"), url("tasks"), url("dlq")
	svc, err := service.New(client, service.Config{
		JobsQueueURL: jobs, TasksQueueURL: tasks, DeadLetterQueueURL: dlq,
		WaitTime: time.Second, VisibilityTimeout: 5 * time.Second, ShutdownTimeout: 4 * time.Second,
	})
	require.NoError(t, err)
	svcCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(svcCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("service: %v", err)
		}
	}()

	stdout, stderr, err := runCLI(t, nil, "run", "-load-only", "-backend", "endpoint", "-endpoint", srv.URL,
		"-jobs-queue-url", jobs, "-tasks-queue-url", tasks, "-dlq-url", dlq,
		"-out", t.TempDir(), "-no-baseline", "../testdata/loadonly.yaml")
	require.Error(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, exitcode.Threshold, exitcode.Of(err))
	assert.Contains(t, stdout, "ok   throughput > 1/s")
	assert.Regexp(t, `FAIL lost == 0: .*not measured`, stdout)
	for _, name := range []string{"jobs", "tasks", "dlq"} {
		_, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		assert.NoError(t, err, "the service's queue %s must survive a load-only run", name)
	}
}
