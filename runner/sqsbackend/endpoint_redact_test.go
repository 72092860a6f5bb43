package sqsbackend

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

const secret = "s3cr3t-pa55"

// With -v the endpoint URL was logged with its user:password. The
// password must appear in no log line, no error and no field shown.
func TestEndpointPasswordIsNeverShown(t *testing.T) {
	ctx := t.Context()
	srv := remote(t)
	withCreds := strings.Replace(srv.URL, "http://", "http://ci-user:"+secret+"@", 1)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := Open(ctx, Config{Kind: Endpoint, Endpoint: withCreds, Prefix: "fixed-", Getenv: env(nil), Logger: logger})
	require.NoError(t, err)
	assert.NotContains(t, b.Endpoint, secret)
	assert.Contains(t, b.Endpoint, "ci-user:xxxxx@", "the user stays, to tell accounts apart")

	// An error that quotes the endpoint (a queue that already exists).
	_, err = srv.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixed-download-tasks")})
	require.NoError(t, err)
	_, err = b.CreateQueues(ctx, spec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already exists")
	assert.NotContains(t, err.Error(), secret)
	require.NoError(t, b.Close(ctx))

	require.Contains(t, logs.String(), "sqs backend ready")
	assert.NotContains(t, logs.String(), secret)
}

func TestEndpointPasswordIsNotInErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now

	_, err = Open(t.Context(), Config{Kind: Endpoint, Endpoint: "http://ci-user:" + secret + "@" + addr, Getenv: env(nil)})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.NotContains(t, err.Error(), secret)

	// A URL that does not parse is quoted in the usage error, redacted too.
	for _, bad := range []string{"ftp://ci-user:" + secret + "@host", "http://ci-user:" + secret + "@host:port-is-not-a-number"} {
		_, err = Open(t.Context(), Config{Kind: Endpoint, Endpoint: bad, Getenv: env(nil)})
		require.Error(t, err, bad)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), bad)
		assert.NotContains(t, err.Error(), secret, bad)
	}
}

func TestRedactEndpoint(t *testing.T) {
	cases := map[string]string{
		"":                                "",
		"http://127.0.0.1:9324":           "http://127.0.0.1:9324",
		"http://u:p@127.0.0.1:9324/q?x=1": "http://u:xxxxx@127.0.0.1:9324/q?x=1",
		"https://only-user@sqs.example":   "https://only-user@sqs.example",
		"http://u:p@host:bad/path":        "http://xxxxx@host:bad/path",
		"http://u:p@a@host:bad":           "http://xxxxx@host:bad",
		"not a url":                       "not a url",
		"http://host:bad/has@in/path":     "http://host:bad/has@in/path",
	}
	for in, want := range cases {
		assert.Equal(t, want, redactEndpoint(in), in)
	}
}
