package sqsemu

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReceiptHandleOfAnotherQueue: SQS rejects a receipt handle used on
// a queue that did not issue it; answering 200 and doing nothing would
// hide a consumer that deletes from the wrong queue.
func TestReceiptHandleOfAnotherQueue(t *testing.T) {
	e := setup(t)
	src := e.create("handles-src", nil)
	other := e.create("handles-other", nil)
	e.send(src, "m")
	e.send(other, "n")
	msgs := e.receive(src, 1)
	require.Len(t, msgs, 1)
	handle := msgs[0].ReceiptHandle

	_, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(other), ReceiptHandle: handle})
	requireCode(t, err, "ReceiptHandleIsInvalid", http.StatusNotFound)
	_, err = e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(other), ReceiptHandle: handle, VisibilityTimeout: 0})
	requireCode(t, err, "ReceiptHandleIsInvalid", http.StatusNotFound)
	batch, err := e.c.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(other),
		Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: handle}}})
	require.NoError(t, err)
	require.Len(t, batch.Failed, 1)
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(batch.Failed[0].Code))

	// The message is still in flight on its own queue, where the handle works.
	assert.Equal(t, [3]int{0, 1, 0}, e.counts(src))
	assert.Equal(t, [3]int{1, 0, 0}, e.counts(other))
	e.deleteMsg(src, msgs[0])
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(src))
}

// TestReceiptHandlesAreNotPredictable: knowing a message ID (every
// receiver and sender does) or earlier handles must not let anyone build
// a handle that deletes the message. Handles used to be
// "<MessageId>.<counter>".
func TestReceiptHandlesAreNotPredictable(t *testing.T) {
	e := setup(t)
	e.needsTime(0)
	if e.external() {
		t.Skip("checks the embedded server's handle format")
	}
	url := e.create("unpredictable", map[string]string{"VisibilityTimeout": "1"})
	sent := e.send(url, "m")
	id := aws.ToString(sent.MessageId)
	seen := map[string]bool{}
	var last types.Message
	for i := range 5 { // each receive issues a new handle
		if i > 0 {
			e.elapse(time.Second)
		}
		msgs := e.receive(url, 1)
		require.Len(t, msgs, 1)
		last = msgs[0]
		h := aws.ToString(last.ReceiptHandle)
		assert.False(t, seen[h], "handle repeated")
		seen[h] = true
		assert.NotContains(t, h, id, "the handle shows the message ID")
	}
	_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: last.ReceiptHandle, VisibilityTimeout: 600})
	require.NoError(t, err)

	// Guesses: the old format with any counter, and the live handle with
	// its random part changed.
	var guesses []string
	for n := uint64(0); n < 200; n++ {
		guesses = append(guesses, id+"."+strconv.FormatUint(n, 36))
	}
	live := []byte(aws.ToString(last.ReceiptHandle))
	for i := 11; i < 22; i++ { // base64 characters that carry the random receipt number
		forged := append([]byte(nil), live...)
		if forged[i] == 'A' {
			forged[i] = 'B'
		} else {
			forged[i] = 'A'
		}
		guesses = append(guesses, string(forged))
	}
	for _, g := range guesses {
		_, _ = e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(g)})
	}
	assert.Equal(t, [3]int{0, 1, 0}, e.counts(url), "a guessed handle deleted the message")

	// Two servers doing the same thing hand out different handles.
	other := NewServer(WithClock(NewFakeClock(epoch)))
	defer other.Close()
	c := other.Client()
	out, err := c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("unpredictable")})
	require.NoError(t, err)
	_, err = c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("m")})
	require.NoError(t, err)
	got, err := c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl})
	require.NoError(t, err)
	require.Len(t, got.Messages, 1)
	assert.False(t, seen[aws.ToString(got.Messages[0].ReceiptHandle)])

	// A queue deleted and created again under the same name does not
	// honour the old queue's handles.
	_, err = e.c.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	url = e.create("unpredictable", nil)
	_, err = e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: last.ReceiptHandle})
	requireCode(t, err, "ReceiptHandleIsInvalid", http.StatusNotFound)
}

// TestContentTypeIsChecked: only the AWS JSON 1.0 protocol is served; a
// request in another encoding gets an error in SQS's shape rather than
// being parsed as if it were JSON.
func TestContentTypeIsChecked(t *testing.T) {
	h := New()
	defer h.Close()
	post := func(contentType string) (int, http.Header, map[string]any) {
		t.Helper()
		return callWithContentType(t, h, "AmazonSQS.ListQueues", `{}`, contentType)
	}
	for _, ct := range []string{"", "application/json", "application/x-www-form-urlencoded", "text/plain", "application/x-amz-json-1.1"} {
		status, hdr, body := post(ct)
		assert.Equal(t, http.StatusBadRequest, status, "Content-Type %q", ct)
		assert.Equal(t, "com.amazon.coral.service#UnknownOperationException", body["__type"], "Content-Type %q", ct)
		assert.Contains(t, body["message"], "application/x-amz-json-1.0")
		assert.Equal(t, "UnknownOperationException;Sender", hdr.Get("X-Amzn-Query-Error"))
	}
	for _, ct := range []string{"application/x-amz-json-1.0", "application/x-amz-json-1.0; charset=utf-8", "Application/X-Amz-JSON-1.0"} {
		status, _, body := post(ct)
		assert.Equal(t, http.StatusOK, status, "Content-Type %q: %v", ct, body)
	}
}

// TestPoisonMessageOfMaximumSizeReachesTheDLQ: SQS does not check the
// size again when it moves a message to the dead-letter queue, so a
// message at the 1 MiB limit (body and attributes) gets there even when
// the DLQ's own MaximumMessageSize is smaller.
func TestPoisonMessageOfMaximumSizeReachesTheDLQ(t *testing.T) {
	e := setup(t)
	dlq := e.create("big-dlq", map[string]string{"MaximumMessageSize": "1024"})
	src := e.create("big-src", map[string]string{
		"VisibilityTimeout": "0", // the consumer fails at once
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + e.arn("big-dlq") + `","maxReceiveCount":"2"}`,
	})
	attrs := map[string]types.MessageAttributeValue{}
	attrSize := 0
	for i := range 10 {
		name, value := "reason"+strconv.Itoa(i), strings.Repeat("r", 100)
		attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
		attrSize += len(name) + len("String") + len(value)
	}
	body := strings.Repeat("p", maxMessageSizeLimit-attrSize)
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String(body), MessageAttributes: attrs})
	require.NoError(t, err)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String(body + "x"), MessageAttributes: attrs})
	requireCode(t, err, "InvalidParameterValue", http.StatusBadRequest) // one byte over is refused

	for range 2 { // the consumer fails twice
		require.Len(t, e.receive(src, 1), 1)
	}
	assert.Empty(t, e.receive(src, 1), "the third receive moves it")
	got := e.receive(dlq, 1)
	require.Len(t, got, 1)
	assert.Equal(t, len(body), len(aws.ToString(got[0].Body)))
	assert.Len(t, got[0].MessageAttributes, 10)
	assert.Equal(t, e.arn("big-src"), got[0].Attributes["DeadLetterQueueSourceArn"])
}

// TestPoisonMessageWithoutRedrivePolicy documents what SQS does with a
// message no consumer can handle on a queue without a dead-letter queue:
// it is delivered again after every visibility timeout, its receive
// count growing, until the retention period ends and it is dropped.
// The emulator must do the same without spinning: nothing happens
// between receives, and once the message expires no timer is left.
func TestPoisonMessageWithoutRedrivePolicy(t *testing.T) {
	e := setup(t)
	e.needsTime(time.Minute)
	url := e.create("poison", map[string]string{"MessageRetentionPeriod": "60", "VisibilityTimeout": "5"})
	e.send(url, "poison")
	for i := 1; i <= 10; i++ {
		msgs := e.receive(url, 1)
		require.Len(t, msgs, 1, "receive %d", i)
		assert.Equal(t, strconv.Itoa(i), msgs[0].Attributes["ApproximateReceiveCount"])
		assert.Equal(t, [3]int{0, 1, 0}, e.counts(url))
		e.elapse(5 * time.Second) // the consumer fails: visibility runs out
	}
	e.elapse(11 * time.Second) // past the 60 s retention
	assert.Empty(t, e.receive(url, 10))
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
	if e.clock != nil {
		assert.Zero(t, e.clock.Pending(), "a timer is still scheduled for a queue with nothing in it")
	}
}
