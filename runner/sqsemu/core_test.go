package sqsemu

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type fixture struct {
	srv   *Server
	c     *sqs.Client
	clock *FakeClock
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, c: srv.Client(), clock: clock, ctx: context.Background()}
}

func (f *fixture) create(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := f.c.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err)
	return aws.ToString(out.QueueUrl)
}

func (f *fixture) counts(t *testing.T, url string) (visible, notVisible, delayed int) {
	t.Helper()
	out, err := f.c.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	require.NoError(t, err)
	atoi := func(k string) int {
		n, err := strconv.Atoi(out.Attributes[k])
		require.NoError(t, err, k)
		return n
	}
	return atoi("ApproximateNumberOfMessages"), atoi("ApproximateNumberOfMessagesNotVisible"), atoi("ApproximateNumberOfMessagesDelayed")
}

func TestCoreSendReceiveDeleteWithAttributes(t *testing.T) {
	f := newFixture(t)
	url := f.create(t, "core", nil)
	assert.Equal(t, f.srv.URL+"/000000000000/core", url)

	_, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(url),
		MessageBody: aws.String("hello"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
			"n": {DataType: aws.String("Number"), StringValue: aws.String("42")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	})
	require.NoError(t, err)
	f.clock.Advance(time.Second)

	out, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         10,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	m := out.Messages[0]
	assert.Equal(t, "hello", aws.ToString(m.Body))
	assert.Equal(t, "1", m.Attributes["ApproximateReceiveCount"])
	assert.Equal(t, strconv.FormatInt(epoch.UnixMilli(), 10), m.Attributes["SentTimestamp"])
	assert.Equal(t, strconv.FormatInt(epoch.Add(time.Second).UnixMilli(), 10), m.Attributes["ApproximateFirstReceiveTimestamp"])
	assert.Equal(t, []byte{0, 1, 2}, m.MessageAttributes["b"].BinaryValue)
	assert.Equal(t, "42", aws.ToString(m.MessageAttributes["n"].StringValue))

	v, nv, d := f.counts(t, url)
	assert.Equal(t, [3]int{0, 1, 0}, [3]int{v, nv, d})

	_, err = f.c.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
	require.NoError(t, err)
	v, nv, d = f.counts(t, url)
	assert.Equal(t, [3]int{0, 0, 0}, [3]int{v, nv, d})
}

func TestCoreVisibilityTimeoutAndRedrive(t *testing.T) {
	f := newFixture(t)
	dlqURL := f.create(t, "core-dlq", nil)
	url := f.create(t, "core-src", map[string]string{
		"VisibilityTimeout": "10",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:core-dlq","maxReceiveCount":2}`,
	})
	_, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	require.NoError(t, err)
	for i := 1; i <= 2; i++ {
		out, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		require.NoError(t, err)
		require.Len(t, out.Messages, 1, "receive %d", i)
		assert.Equal(t, strconv.Itoa(i), out.Messages[0].Attributes["ApproximateReceiveCount"])
		empty, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		require.NoError(t, err)
		assert.Empty(t, empty.Messages, "still in flight")
		f.clock.Advance(10 * time.Second)
	}
	out, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "third receive moves it to the DLQ")
	dl, err := f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"DeadLetterQueueSourceArn"}})
	require.NoError(t, err)
	require.Len(t, dl.Messages, 1)
	assert.Equal(t, "x", aws.ToString(dl.Messages[0].Body))
	assert.Equal(t, "arn:aws:sqs:us-east-1:000000000000:core-src", dl.Messages[0].Attributes["DeadLetterQueueSourceArn"])
}

func TestCoreLongPollWakesOnSend(t *testing.T) {
	f := newFixture(t)
	url := f.create(t, "core-lp", nil)
	var wg sync.WaitGroup
	var got *sqs.ReceiveMessageOutput
	var recvErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, recvErr = f.c.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
	}()
	require.Eventually(t, func() bool { return f.clock.Pending() > 0 }, 10*time.Second, time.Millisecond, "receiver parks")
	_, err := f.c.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("wake")})
	require.NoError(t, err)
	wg.Wait()
	require.NoError(t, recvErr)
	require.Len(t, got.Messages, 1)
	assert.Equal(t, "wake", aws.ToString(got.Messages[0].Body))
}

func TestCoreMissingQueueIsTyped(t *testing.T) {
	f := newFixture(t)
	_, err := f.c.GetQueueUrl(f.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	var qdne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &qdne), "got %v", err)
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue", qdne.ErrorCode())
}
