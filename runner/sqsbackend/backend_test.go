package sqsbackend

import (
	"encoding/json"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestMain(m *testing.M) {
	ServeChildIfRequested()
	goleak.VerifyTestMain(m,
		// Where Docker runs, testcontainers keeps one connection to its
		// reaper (Ryuk) open for the life of the process on purpose: when
		// the process dies, Ryuk removes its containers. That goroutine is
		// the only one allowed to outlive the tests.
		goleak.IgnoreAnyFunction("github.com/testcontainers/testcontainers-go.(*Reaper).connect.func1"),
	)
}

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

var spec = QueueSpec{
	Jobs: "export-jobs", Tasks: "download-tasks", DeadLetter: "export-dlq",
	VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 3, WaitTime: 20 * time.Second,
}

func queueNames(t *testing.T, c *sqs.Client, prefix string) []string {
	t.Helper()
	out, err := c.ListQueues(t.Context(), &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix)})
	require.NoError(t, err)
	names := make([]string, 0, len(out.QueueUrls))
	for _, u := range out.QueueUrls {
		names = append(names, u[strings.LastIndexByte(u, '/')+1:])
	}
	return names
}

func attributes(t *testing.T, c *sqs.Client, url string) map[string]string {
	t.Helper()
	out, err := c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	require.NoError(t, err)
	return out.Attributes
}

func TestEmbeddedCreatesQueuesWithRedriveAndCloses(t *testing.T) {
	ctx := t.Context()
	b, err := Open(ctx, Config{Getenv: env(nil)})
	require.NoError(t, err)
	assert.Equal(t, Embedded, b.Kind)
	assert.True(t, strings.HasPrefix(b.Endpoint, "http://127.0.0.1:"), b.Endpoint)
	assert.Equal(t, DefaultRegion, b.Region)
	assert.Positive(t, b.StartDuration)

	q, err := b.CreateQueues(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"export-jobs": "export-jobs", "download-tasks": "download-tasks", "export-dlq": "export-dlq"}, q.Names)

	dlqArn := attributes(t, b.Client, q.DeadLetter)["QueueArn"]
	for _, url := range []string{q.Jobs, q.Tasks} {
		a := attributes(t, b.Client, url)
		assert.Equal(t, "30", a["VisibilityTimeout"])
		assert.Equal(t, "20", a["ReceiveMessageWaitTimeSeconds"])
		var policy struct {
			Target string          `json:"deadLetterTargetArn"`
			Max    json.RawMessage `json:"maxReceiveCount"`
		}
		require.NoError(t, json.Unmarshal([]byte(a["RedrivePolicy"]), &policy))
		assert.Equal(t, dlqArn, policy.Target)
		assert.Contains(t, string(policy.Max), "3")
	}

	require.NoError(t, b.Close(ctx))
	require.NoError(t, b.Close(ctx), "Close is idempotent")
	_, err = b.Client.ListQueues(ctx, &sqs.ListQueuesInput{})
	assert.Error(t, err, "the embedded server is stopped after Close")
}

func TestRedriveMovesAMessageAfterMaxReceiveCount(t *testing.T) {
	ctx := t.Context()
	b, err := Open(ctx, Config{Kind: "Embedded", Prefix: "t-", Getenv: env(nil)})
	require.NoError(t, err)
	defer b.Close(ctx)
	s := spec
	s.VisibilityTimeout, s.WaitTime, s.MaxReceiveCount = 0, 0, 2
	q, err := b.CreateQueues(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, "t-export-jobs", q.Names["export-jobs"])

	_, err = b.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.Jobs), MessageBody: aws.String("job")})
	require.NoError(t, err)
	// A visibility timeout of 0 makes each received message visible again
	// at once: two receives use up maxReceiveCount, the third redrives.
	for i := 0; i < 3; i++ {
		_, err := b.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs)})
		require.NoError(t, err)
	}
	out, err := b.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.DeadLetter), WaitTimeSeconds: 1})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	assert.Equal(t, "job", aws.ToString(out.Messages[0].Body))
}

func TestQueueSpecValidation(t *testing.T) {
	ctx := t.Context()
	b, err := Open(ctx, Config{Prefix: "p-", Getenv: env(nil)})
	require.NoError(t, err)
	defer b.Close(ctx)
	for _, tc := range []struct {
		name string
		edit func(*QueueSpec)
		want string
	}{
		{"no jobs", func(s *QueueSpec) { s.Jobs = "" }, "jobs queue has no name"},
		{"same names", func(s *QueueSpec) { s.Tasks = s.Jobs }, "both named"},
		{"bad char", func(s *QueueSpec) { s.Tasks = "tasks/x" }, "contains '/'"},
		{"too long", func(s *QueueSpec) { s.Jobs = strings.Repeat("j", 79) }, "at most 80"},
		{"mixed fifo", func(s *QueueSpec) { s.Jobs = "jobs.fifo" }, "mixing FIFO"},
		{"visibility", func(s *QueueSpec) { s.VisibilityTimeout = 13 * time.Hour }, "outside 0s..12h"},
		{"wait", func(s *QueueSpec) { s.WaitTime = 21 * time.Second }, "outside 0s..20s"},
		{"max receive", func(s *QueueSpec) { s.MaxReceiveCount = 0 }, "outside 1..1000"},
	} {
		s := spec
		tc.edit(&s)
		_, err := b.CreateQueues(ctx, s)
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), tc.name)
	}
	assert.Empty(t, queueNames(t, b.Client, ""), "nothing was created by an invalid spec")

	// Without a dead-letter queue there is no redrive and no receive count to check.
	s := spec
	s.DeadLetter, s.MaxReceiveCount = "", 0
	q, err := b.CreateQueues(ctx, s)
	require.NoError(t, err)
	assert.NotContains(t, attributes(t, b.Client, q.Jobs), "RedrivePolicy")

	// FIFO names get the FifoQueue attribute.
	fifo := QueueSpec{Jobs: "j.fifo", Tasks: "t.fifo", DeadLetter: "d.fifo", MaxReceiveCount: 5, VisibilityTimeout: time.Second}
	q, err = b.CreateQueues(ctx, fifo)
	require.NoError(t, err)
	assert.Equal(t, "true", attributes(t, b.Client, q.Tasks)["FifoQueue"])
}

func TestUnknownKindIsAUsageError(t *testing.T) {
	_, err := Open(t.Context(), Config{Kind: "sqlite", Getenv: env(nil)})
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "use embedded")
}

// remote starts an emulator the test treats as a remote SQS endpoint.
func remote(t *testing.T) *sqsemu.Server {
	t.Helper()
	srv := sqsemu.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

func TestEndpointUsesAUniquePrefixPerRunAndDeletesOnlyItsQueues(t *testing.T) {
	ctx := t.Context()
	srv := remote(t)
	admin := srv.Client()
	_, err := admin.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("someone-elses-queue")})
	require.NoError(t, err)

	cfg := Config{Kind: Endpoint, Endpoint: srv.URL, Getenv: env(nil)}
	a, err := Open(ctx, cfg)
	require.NoError(t, err)
	b, err := Open(ctx, cfg)
	require.NoError(t, err)
	assert.NotEqual(t, a.Prefix, b.Prefix, "concurrent runs must not share queue names")
	assert.Regexp(t, `^sqsperf-[0-9a-z]+-[0-9a-f]{8}-$`, a.Prefix)
	assert.Equal(t, srv.URL, a.Endpoint)

	qa, err := a.CreateQueues(ctx, spec)
	require.NoError(t, err)
	qb, err := b.CreateQueues(ctx, spec)
	require.NoError(t, err)
	assert.NotEqual(t, qa.Jobs, qb.Jobs)
	assert.Equal(t, a.Prefix+"export-jobs", qa.Names["export-jobs"])
	assert.ElementsMatch(t, []string{a.Prefix + "export-jobs", a.Prefix + "download-tasks", a.Prefix + "export-dlq"}, queueNames(t, admin, a.Prefix))

	require.NoError(t, a.Close(ctx))
	assert.Empty(t, queueNames(t, admin, a.Prefix), "a's queues are deleted")
	assert.Len(t, queueNames(t, admin, b.Prefix), 3, "b's queues are untouched by a's Close")
	require.NoError(t, b.Close(ctx))
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, []string{"someone-elses-queue"}, queueNames(t, admin, ""))
}

func TestEndpointFromTheSDKEnvironmentVariable(t *testing.T) {
	ctx := t.Context()
	srv := remote(t)
	b, err := Open(ctx, Config{Kind: Endpoint, Region: "eu-west-1", Getenv: env(map[string]string{"AWS_ENDPOINT_URL_SQS": srv.URL})})
	require.NoError(t, err)
	defer b.Close(ctx)
	assert.Equal(t, srv.URL, b.Endpoint)
	assert.Equal(t, "eu-west-1", b.Region)
	_, err = b.CreateQueues(ctx, spec)
	require.NoError(t, err)
	assert.Len(t, queueNames(t, srv.Client(), b.Prefix), 3)
}

func TestEndpointRefusesToAdoptAnExistingQueue(t *testing.T) {
	ctx := t.Context()
	srv := remote(t)
	_, err := srv.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixed-download-tasks")})
	require.NoError(t, err)

	b, err := Open(ctx, Config{Kind: Endpoint, Endpoint: srv.URL, Prefix: "fixed-", Getenv: env(nil)})
	require.NoError(t, err)
	_, err = b.CreateQueues(ctx, spec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already exists")
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	require.NoError(t, b.Close(ctx))
	// What it did create before the refusal is gone; the other queue stays.
	assert.Equal(t, []string{"fixed-download-tasks"}, queueNames(t, srv.Client(), "fixed-"))
}

func TestEndpointUnreachableIsAnEnvironmentError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now

	_, err = Open(t.Context(), Config{Kind: Endpoint, Endpoint: "http://" + addr, Getenv: env(nil)})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "check the endpoint URL")
}

func TestEndpointRejectsAMalformedURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9324", "ftp://x", "http://"} {
		_, err := Open(t.Context(), Config{Kind: Endpoint, Endpoint: u, Getenv: env(nil)})
		require.Error(t, err, u)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), u)
	}
}

func TestRegionFromTheEnvironment(t *testing.T) {
	cfg := withDefaults(Config{Getenv: env(map[string]string{"AWS_DEFAULT_REGION": "ap-south-1"})})
	assert.Equal(t, "ap-south-1", cfg.Region)
	cfg = withDefaults(Config{Getenv: env(map[string]string{"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "ap-south-1"})})
	assert.Equal(t, "eu-north-1", cfg.Region)
	assert.Equal(t, DefaultLocalStackImage, cfg.Image)
	assert.Equal(t, Embedded, cfg.Kind)
}

// BenchmarkOpenEmbedded measures the embedded backend's start time (the
// target: well under 100ms) and reports it as start-ms.
func BenchmarkOpenEmbedded(b *testing.B) {
	ctx := b.Context()
	var total time.Duration
	for b.Loop() {
		be, err := Open(ctx, Config{Getenv: env(nil)})
		if err != nil {
			b.Fatal(err)
		}
		total += be.StartDuration
		if err := be.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "start-ms")
}

// The embedded server runs in a child process by default: its CPU and
// allocations are read from there, and the child goes away on Close.
func TestEmbeddedRunsInAChildProcess(t *testing.T) {
	ctx := t.Context()
	b, err := Open(ctx, Config{Kind: Embedded})
	require.NoError(t, err)
	require.NotZero(t, b.PID, "the embedded server should run in a child process: %v", b.Warnings)
	require.NotEqual(t, os.Getpid(), b.PID)
	q, err := b.CreateQueues(ctx, QueueSpec{Jobs: "j", Tasks: "t", DeadLetter: "d", VisibilityTimeout: time.Second, MaxReceiveCount: 2})
	require.NoError(t, err)
	before, ok, err := b.ServerCost(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	for i := 0; i < 200; i++ {
		_, err := b.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.Jobs, MessageBody: aws.String("hello")})
		require.NoError(t, err)
	}
	after, _, err := b.ServerCost(ctx)
	require.NoError(t, err)
	d := after.Sub(before)
	require.Greater(t, d.CPU, time.Duration(0), "200 requests cost the server CPU")
	require.Greater(t, d.Allocs, uint64(200), "each request allocates in the server")
	require.NoError(t, b.Close(ctx))
	// The child is gone: signal 0 fails on a reaped process.
	p, _ := os.FindProcess(b.PID)
	require.Error(t, p.Signal(syscall.Signal(0)), "the SQS child process must exit on Close")
}

func TestEmbeddedInProcessHasNoSeparateCost(t *testing.T) {
	b, err := Open(t.Context(), Config{Kind: Embedded, InProcess: true})
	require.NoError(t, err)
	defer b.Close(t.Context())
	require.Zero(t, b.PID)
	_, ok, err := b.ServerCost(t.Context())
	require.NoError(t, err)
	require.False(t, ok)
}
