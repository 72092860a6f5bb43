package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
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
	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestSQSServeCreatesQueuesAndStopsOnCancel(t *testing.T) {
	var stdout, stderr syncbuf.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, st, []string{"sqs", "serve", "-addr", "127.0.0.1:0",
			"-queue", "jobs:dlq=jobs-dlq,maxReceiveCount=2,visibilityTimeout=7", "-queue", "orders.fifo"})
	}()
	endpoint := servedEndpoint(t, &stdout, &stderr)
	out := stdout.String()
	assert.Contains(t, out, "queue: "+endpoint+"/000000000000/jobs-dlq\n")
	assert.Contains(t, out, "queue: "+endpoint+"/000000000000/jobs\n")
	assert.Contains(t, out, "queue: "+endpoint+"/000000000000/orders.fifo\n")
	assert.Contains(t, out, "AWS_ENDPOINT_URL_SQS="+endpoint)

	c := sqsemu.NewClient(endpoint, sqsemu.DefaultRegion)
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(endpoint + "/000000000000/jobs"),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	require.NoError(t, err)
	assert.Equal(t, "7", attrs.Attributes["VisibilityTimeout"])
	assert.JSONEq(t, `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":2}`, attrs.Attributes["RedrivePolicy"])

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after the context was cancelled")
	}
	assert.Contains(t, stdout.String(), "stopped")
}

func TestSQSServeRefusesRemoteBind(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9324", ":9324", "192.0.2.1:9324", "example.com:9324"} {
		var stdout, stderr bytes.Buffer
		st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		err := Run(t.Context(), st, []string{"sqs", "serve", "-addr", addr})
		require.Error(t, err, addr)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), addr)
		assert.Contains(t, err.Error(), "-allow-remote", addr)
	}
}

func TestSQSServeUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"no subcommand":  {"sqs"},
		"unknown sub":    {"sqs", "start"},
		"bad queue spec": {"sqs", "serve", "-addr", "127.0.0.1:0", "-queue", "jobs:maxReceiveCount=zero"},
		"unknown option": {"sqs", "serve", "-addr", "127.0.0.1:0", "-queue", "jobs:colour=red"},
		"bad address":    {"sqs", "serve", "-addr", "9324"},
		"stray argument": {"sqs", "serve", "extra"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
			err := Run(t.Context(), st, args)
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), err.Error())
		})
	}
}

func TestSQSServePortInUseIsEnvironmentError(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := Run(t.Context(), st, []string{"sqs", "serve", "-addr", strings.TrimPrefix(srv.URL, "http://")})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "another process uses that port")
}

// serveSQS runs 'runner sqs serve' with args until the test ends and
// returns its endpoint.
func serveSQS(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr syncbuf.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, st, append([]string{"sqs", "serve", "-addr", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return servedEndpoint(t, &stdout, &stderr)
}

// servedEndpoint waits until 'runner sqs serve' says it is serving and
// returns the endpoint it printed.
func servedEndpoint(t *testing.T, stdout, stderr *syncbuf.Buffer) string {
	t.Helper()
	var endpoint string
	require.Eventually(t, func() bool {
		if m := regexp.MustCompile(`SQS endpoint: (\S+)`).FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stdout.String(), "serving") {
			endpoint = m[1]
			return true
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "server starts: %s %s", stdout.String(), stderr.String())
	return endpoint
}

func getLedger(t *testing.T, endpoint string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(endpoint + ledger.Path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// The standalone server accounts for a consumer it knows nothing about:
// three sent, two deleted, one held, as its ledger endpoint says.
func TestSQSServeLedgerAccountsForEveryMessage(t *testing.T) {
	endpoint := serveSQS(t, "-ledger", "-queue", "jobs")
	ctx := t.Context()
	c := sqsemu.NewClient(endpoint, sqsemu.DefaultRegion)
	q := aws.String(endpoint + "/000000000000/jobs")
	for i := range 3 {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String(fmt.Sprint("m", i))})
		require.NoError(t, err)
	}
	var got []types.Message
	for len(got) < 3 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		got = append(got, out.Messages...)
	}
	for _, m := range got[:2] {
		_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: m.ReceiptHandle})
		require.NoError(t, err)
	}

	code, body := getLedger(t, endpoint)
	require.Equal(t, http.StatusOK, code, string(body))
	var s ledger.Summary
	require.NoError(t, json.Unmarshal(body, &s), string(body))
	assert.Equal(t, 3, s.Sent)
	assert.Equal(t, 2, s.Processed)
	assert.Equal(t, 1, s.InFlight)
	assert.Zero(t, s.Lost)
	assert.Equal(t, ledger.Counts{Sent: 3, Processed: 2, InFlight: 1}, s.Queues["jobs"])
}

// Without -ledger the path says how to get the accounting, not an SQS
// protocol error about POST requests.
func TestSQSServeWithoutLedgerSaysHowToGetIt(t *testing.T) {
	endpoint := serveSQS(t)
	code, body := getLedger(t, endpoint)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, string(body), "runner sqs serve -ledger")
	// The SQS API on the same listener is unaffected.
	_, err := sqsemu.NewClient(endpoint, sqsemu.DefaultRegion).ListQueues(t.Context(), &sqs.ListQueuesInput{})
	require.NoError(t, err)
}
