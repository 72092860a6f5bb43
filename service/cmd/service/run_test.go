package main

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunConsumesFromEnvironment(t *testing.T) {
	srv := sqsemu.NewServer()
	t.Cleanup(srv.Close)
	client := srv.Client()
	ctx := t.Context()
	urls := map[string]string{}
	for _, name := range []string{"export-jobs", "download-tasks", "dlq"} {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		require.NoError(t, err)
		urls[name] = aws.ToString(out.QueueUrl)
	}
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["export-jobs"]),
		MessageBody: aws.String(`{"job_id":"j1","tasks":[{"task_id":"a"},{"task_id":"b"},{"task_id":"c"}]}`)})
	require.NoError(t, err)
	env := map[string]string{
		"SQS_EXPORT_JOBS_URL":    urls["export-jobs"],
		"SQS_DOWNLOAD_TASKS_URL": urls["download-tasks"],
		"SQS_DLQ_URL":            urls["dlq"],
		"AWS_ENDPOINT_URL_SQS":   srv.URL,
		"AWS_REGION":             "us-east-1",
		"AWS_ACCESS_KEY_ID":      "test",
		"AWS_SECRET_ACCESS_KEY":  "test",
		"WORKER_POOL_SIZE":       "2",
		"MAX_QUEUE_SIZE":         "1",
		"SHUTDOWN_TIMEOUT":       "5s",
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- run(runCtx, func(k string) string { return env[k] }, &stdout, &stderr) }()

	require.Eventually(t, func() bool {
		total := 0
		for _, name := range []string{"export-jobs", "download-tasks"} {
			out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[name]),
				AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
			require.NoError(t, err)
			for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
				n, err := strconv.Atoi(out.Attributes[k])
				require.NoError(t, err)
				total += n
			}
		}
		return total == 0 && bytes.Contains([]byte(stdout.String()), []byte("consuming"))
	}, 30*time.Second, 20*time.Millisecond, "the job and its overflowed tasks are consumed")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the shutdown signal")
	}
	assert.Contains(t, stdout.String(), "processed 3 tasks")
	assert.NotContains(t, stderr.String(), "level=ERROR")
}

func TestRunStopsAtStartOnBadSettings(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_PROFILE", "")
	good := map[string]string{
		"SQS_EXPORT_JOBS_URL":    "http://127.0.0.1:1/000000000000/export-jobs",
		"SQS_DOWNLOAD_TASKS_URL": "http://127.0.0.1:1/000000000000/download-tasks",
		"SQS_DLQ_URL":            "http://127.0.0.1:1/000000000000/dlq",
		"AWS_REGION":             "us-east-1",
		"AWS_ACCESS_KEY_ID":      "test",
		"AWS_SECRET_ACCESS_KEY":  "test",
	}
	for _, tc := range []struct {
		name, value, want string
	}{
		{"SQS_EXPORT_JOBS_URL", "", "SQS_EXPORT_JOBS_URL is not set"},
		{"SQS_DOWNLOAD_TASKS_URL", "", "SQS_DOWNLOAD_TASKS_URL is not set"},
		{"SQS_DLQ_URL", "", "SQS_DLQ_URL is not set"},
		{"WORKER_POOL_SIZE", "lots", `WORKER_POOL_SIZE="lots"`},
		{"MAX_CONCURRENT_JOBS", "0", `MAX_CONCURRENT_JOBS="0"`},
		{"MAX_QUEUE_SIZE", "x", `MAX_QUEUE_SIZE="x"`},
		{"FAILURE_RATE", "2", `FAILURE_RATE="2"`},
		{"AWS_ENDPOINT_URL_SQS", "localhost:9324", `AWS_ENDPOINT_URL_SQS="localhost:9324": want an http or https URL`},
		{"AWS_ENDPOINT", "::", `AWS_ENDPOINT="::"`},
		{"AWS_REGION", "", "AWS_REGION is not set"},
		{"AWS_SECRET_ACCESS_KEY", "", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
		{"LOG_LEVEL", "loud", `LOG_LEVEL="loud"`},
	} {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		env[tc.name] = tc.value
		var stdout, stderr syncbuf.Buffer
		err := run(t.Context(), func(k string) string { return env[k] }, &stdout, &stderr)
		assert.ErrorContains(t, err, tc.want, "%s=%q", tc.name, tc.value)
		assert.Empty(t, stdout.String(), "nothing started")
	}
}
