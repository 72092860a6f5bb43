package sqscount_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/sqscount"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newQueue starts an embedded SQS server for the test and creates queue
// name on it through the returned base client, which nothing counts.
func newQueue(t *testing.T, name string) (*sqs.Client, *sqs.CreateQueueOutput) {
	t.Helper()
	srv := sqsemu.NewServer()
	t.Cleanup(srv.Close)
	base := srv.Client()
	q, err := base.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	require.NoError(t, err)
	return base, q
}

func TestCounterCountsEveryActionAndPayload(t *testing.T) {
	ctx := t.Context()
	base, q := newQueue(t, "q")
	var err error

	var c sqscount.Counter
	client := c.Client(base)
	body := strings.Repeat("x", 100)
	_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("1"), MessageBody: aws.String(body)},
		{Id: aws.String("2"), MessageBody: aws.String(body), MessageAttributes: map[string]types.MessageAttributeValue{
			"k": {DataType: aws.String("String"), StringValue: aws.String("vv")}}},
	}})
	require.NoError(t, err)
	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
	require.NoError(t, err)

	var handles []string
	for len(handles) < 3 {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}})
		require.NoError(t, err)
		for _, m := range out.Messages {
			handles = append(handles, *m.ReceiptHandle)
		}
	}
	before := c.Snapshot()
	_, err = client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	require.NoError(t, err)
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: &handles[0], VisibilityTimeout: 5})
	require.NoError(t, err)
	var entries []types.DeleteMessageBatchRequestEntry
	for i := range handles {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: &handles[i]})
	}
	_, err = client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
	require.NoError(t, err)
	got := c.Snapshot()
	delta := got.Sub(before)

	assert.Equal(t, uint64(2), got.Requests[sqscount.Send], "a batch and a single send are two requests")
	assert.Equal(t, uint64(3), got.MessagesSent)
	assert.Equal(t, uint64(3*100+len("k")+len("String")+len("vv")), got.BytesSent)
	assert.Equal(t, got.BytesSent, got.BytesReceived, "every byte sent came back once")
	assert.Equal(t, uint64(3), got.MessagesReceived)
	assert.Equal(t, uint64(1), delta.Requests[sqscount.ReceiveEmpty], "the last receive found nothing")
	assert.Equal(t, uint64(0), delta.Requests[sqscount.Receive])
	assert.Equal(t, uint64(1), delta.Requests[sqscount.ChangeVisibility])
	assert.Equal(t, uint64(1), delta.Requests[sqscount.Delete], "one batch of three deletes is one request")
	assert.Equal(t, uint64(3), delta.Total())
	assert.Equal(t, uint64(0), got.Requests[sqscount.Other], "CreateQueue went through the uncounted client")
	// The largest batches asked for: a receive of up to 10 (the last one
	// asked for SQS's default, 1), a delete of 3, a send of 2.
	assert.Equal(t, uint64(10), got.ReceiveAskedMax)
	assert.Equal(t, uint64(3), got.DeleteBatchMax)
	assert.Equal(t, uint64(2), got.SendBatchMax)
	assert.Equal(t, got.DeleteBatchMax, delta.DeleteBatchMax, "a window keeps the counter's maxima")
	m := sqscount.PerMessage(delta, 3)
	assert.Equal(t, 10.0, m[metric.SQSBatchReceive])
	assert.Equal(t, 3.0, m[metric.SQSBatchDelete])
	assert.Equal(t, 2.0, m[metric.SQSBatchSend])

	// The base client is not counted.
	_, err = base.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
	require.NoError(t, err)
	assert.Equal(t, got.Total(), c.Snapshot().Total())
}

// TestBatchMaximaShowLostBatching: a consumer that deletes one by one and
// receives one message per call reads 1 on both maxima, whatever the
// timing; an action never called has no maximum at all.
func TestBatchMaximaShowLostBatching(t *testing.T) {
	ctx := t.Context()
	base, q := newQueue(t, "one-by-one")
	for range 3 {
		_, err := base.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("m")})
		require.NoError(t, err)
	}
	var c sqscount.Counter
	client := c.Client(base)
	for done := 0; done < 3; {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1})
		require.NoError(t, err)
		for _, m := range out.Messages {
			_, err = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
			done++
		}
	}
	m := sqscount.PerMessage(c.Snapshot(), 3)
	assert.Equal(t, 1.0, m[metric.SQSBatchReceive])
	assert.Equal(t, 1.0, m[metric.SQSBatchDelete])
	assert.NotContains(t, m, metric.SQSBatchSend, "nothing was sent: no maximum, not 0")
}

func TestBillableCountsPayloadChunks(t *testing.T) {
	ctx := t.Context()
	base, q := newQueue(t, "big")
	var c sqscount.Counter
	client := c.Client(base)
	// 150 KiB is three 64 KiB chunks: billed as three requests.
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(strings.Repeat("y", 150<<10))})
	require.NoError(t, err)
	got := c.Snapshot()
	assert.Equal(t, uint64(1), got.Total())
	assert.Equal(t, uint64(3), got.Billable)
}

func TestPerMessage(t *testing.T) {
	var c sqscount.Counts
	c.Requests[sqscount.Receive] = 10
	c.Requests[sqscount.Delete] = 5
	c.Requests[sqscount.ReceiveEmpty] = 5
	c.Billable = 20
	c.BytesSent = 4000
	m := sqscount.PerMessage(c, 100)
	assert.InDelta(t, 0.2, m[metric.SQSRequests], 1e-12)
	assert.InDelta(t, 0.05, m[metric.SQSRequestsBy("delete")], 1e-12)
	assert.InDelta(t, 0.05, m[metric.SQSRequestsBy("receive_empty")], 1e-12)
	assert.InDelta(t, 0.2*sqscount.PricePerMillionRequests, m[metric.SQSCostPerMillion], 1e-12)
	assert.InDelta(t, 40, m[metric.PayloadSent], 1e-12)
	for k := range m {
		_, _, ok := metric.Resolve(k)
		assert.True(t, ok, "metric %s must be registered", k)
	}
	assert.Empty(t, sqscount.PerMessage(c, 0))
}
