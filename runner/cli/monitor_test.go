package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func monitorState() (*State, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &State{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, &out, &errOut
}

// End to end: the real command, the real SDK client with the static test
// credentials, the embedded SQS server.
func TestMonitorOnceAgainstEmbeddedSQS(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	ctx := t.Context()
	client := srv.Client()
	jobs, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("export-jobs")})
	require.NoError(t, err)
	_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("export-jobs-dlq")})
	require.NoError(t, err)
	for range 3 {
		_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: jobs.QueueUrl, MessageBody: aws.String("{}")})
		require.NoError(t, err)
	}
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: jobs.QueueUrl, MessageBody: aws.String("{}"), DelaySeconds: 60})
	require.NoError(t, err)
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: jobs.QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	require.NoError(t, err)

	st, out, _ := monitorState()
	require.NoError(t, Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-once"}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	assert.Contains(t, lines[0], "export-jobs visible=2 in_flight=1 delayed=1 total=4 rate=- status=green")
	assert.Contains(t, lines[1], "export-jobs-dlq visible=0 in_flight=0 delayed=0 total=0 rate=- status=green")

	st, out, _ = monitorState()
	require.NoError(t, Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-once", "-queue", "export-jobs-dlq"}))
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), "only the named queue")

	st, out, _ = monitorState()
	require.NoError(t, Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-once", "-queue", aws.ToString(jobs.QueueUrl)}))
	assert.Contains(t, out.String(), "export-jobs visible=2")

	st, out, _ = monitorState()
	require.NoError(t, Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-once", "-prefix", "export-jobs", "-backlog", "2", "-backlog-red", "3"}))
	assert.Contains(t, out.String(), "export-jobs visible=2 in_flight=1 delayed=1 total=4 rate=- status=red flags=backlog>=3")

	st, out, _ = monitorState()
	err = Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-once", "-queue", "nope"})
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.ErrorContains(t, err, "cannot read queue nope")
	assert.Contains(t, out.String(), `nope status=red error="queue not found (yet)"`)
}

func TestMonitorRunsUntilCancelled(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	_, err := srv.Client().CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("jobs")})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	var out syncbuf.Buffer
	st := &State{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, st, []string{"monitor", "-endpoint", srv.URL, "-interval", "100ms"}) }()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "jobs visible=0") >= 2 }, 30*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "rate=→0/s", "the second refresh has a rate")
}

func TestMonitorUnreachableEndpointIsAnEnvironmentFailure(t *testing.T) {
	srv := sqsemu.NewServer()
	url := srv.URL
	srv.Close() // nothing listens there any more
	st, out, _ := monitorState()
	err := Run(t.Context(), st, []string{"monitor", "-endpoint", url, "-once"})
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.ErrorContains(t, err, "listing queues")
	assert.Contains(t, out.String(), "error: listing queues")
}

func TestMonitorUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"monitor", "-nosuchflag"},
		{"monitor", "-interval", "1ms"},
		{"monitor", "extra"},
		{"monitor", "-backlog", "10", "-backlog-red", "5"},
	} {
		st, _, _ := monitorState()
		err := Run(t.Context(), st, args)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", args)
	}
}

func TestSplitQueueArgs(t *testing.T) {
	fixed, names := splitQueueArgs([]string{"http://h/000/a", "https://h/000/b"})
	assert.Equal(t, map[string]string{"a": "http://h/000/a", "b": "https://h/000/b"}, fixed)
	assert.Nil(t, names)
	fixed, names = splitQueueArgs([]string{"a", "http://h/000/b"})
	assert.Nil(t, fixed)
	assert.Equal(t, []string{"a", "b"}, names)
	fixed, names = splitQueueArgs(nil)
	assert.Nil(t, fixed)
	assert.Nil(t, names)
}

func TestEnvHasAWSCredentials(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	assert.False(t, envHasAWSCredentials(get))
	env["AWS_PROFILE"] = "dev"
	assert.True(t, envHasAWSCredentials(get))
}
