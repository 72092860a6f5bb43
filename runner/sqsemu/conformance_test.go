package sqsemu

// The conformance suite drives a server through the real aws-sdk-go-v2
// client, one test per behaviour. By default it runs against an embedded
// server with a fake clock. Set SQS_CONFORMANCE_ENDPOINT (and optionally
// SQS_CONFORMANCE_REGION) to run the same tests against LocalStack, real
// SQS or `runner sqs serve`: queues then get fresh random names and are
// deleted afterwards; tests that need more time to pass than a short real
// wait are skipped.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// maxRealWait is the longest a test may sleep against an external endpoint.
const maxRealWait = 6 * time.Second

type conformance struct {
	t      *testing.T
	c      *sqs.Client
	ctx    context.Context
	clock  *FakeClock // nil against an external endpoint
	srv    *Server    // nil against an external endpoint
	prefix string
	region string
}

func setup(t *testing.T) *conformance {
	t.Helper()
	e := &conformance{t: t, ctx: t.Context(), region: DefaultRegion}
	if endpoint := os.Getenv("SQS_CONFORMANCE_ENDPOINT"); endpoint != "" {
		if r := os.Getenv("SQS_CONFORMANCE_REGION"); r != "" {
			e.region = r
		}
		httpc := newHTTPClient()
		t.Cleanup(httpc.CloseIdleConnections) // keeps goleak quiet about keep-alive connections
		e.c = newClient(endpoint, e.region, httpc)
		var b [4]byte
		_, _ = rand.Read(b[:])
		e.prefix = "conf-" + hex.EncodeToString(b[:]) + "-"
		return e
	}
	e.clock = NewFakeClock(epoch)
	e.srv = NewServer(WithClock(e.clock))
	t.Cleanup(e.srv.Close)
	e.c = e.srv.Client()
	return e
}

func (e *conformance) external() bool { return e.clock == nil }

// needsTime skips the test against an external endpoint when it would
// have to wait longer than a short real wait.
func (e *conformance) needsTime(d time.Duration) {
	if e.external() && d > maxRealWait {
		e.t.Skipf("needs %v of queue time; runs only against the embedded server's fake clock", d)
	}
}

// elapse lets d of queue time pass.
func (e *conformance) elapse(d time.Duration) {
	if e.clock != nil {
		e.clock.Advance(d)
		return
	}
	time.Sleep(d + 500*time.Millisecond) // SQS timers are not exact
}

func (e *conformance) name(base string) string { return e.prefix + base }

func (e *conformance) arn(base string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", e.region, DefaultAccount, e.name(base))
}

func (e *conformance) create(base string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name(base)), Attributes: attrs})
	require.NoError(e.t, err)
	url := aws.ToString(out.QueueUrl)
	e.t.Cleanup(func() {
		_, _ = e.c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	return url
}

func (e *conformance) send(url, body string) *sqs.SendMessageOutput {
	e.t.Helper()
	out, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	require.NoError(e.t, err)
	return out
}

func (e *conformance) receive(url string, max int32, opts ...func(*sqs.ReceiveMessageInput)) []types.Message {
	e.t.Helper()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: max,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"}}
	for _, o := range opts {
		o(in)
	}
	out, err := e.c.ReceiveMessage(e.ctx, in)
	require.NoError(e.t, err)
	return out.Messages
}

func (e *conformance) attrs(url string, names ...types.QueueAttributeName) map[string]string {
	e.t.Helper()
	if len(names) == 0 {
		names = []types.QueueAttributeName{types.QueueAttributeNameAll}
	}
	out, err := e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	require.NoError(e.t, err)
	return out.Attributes
}

// counts returns visible, in-flight and delayed counts.
func (e *conformance) counts(url string) [3]int {
	e.t.Helper()
	a := e.attrs(url, types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
	n := func(k string) int {
		v, err := strconv.Atoi(a[k])
		require.NoError(e.t, err, k)
		return v
	}
	return [3]int{n("ApproximateNumberOfMessages"), n("ApproximateNumberOfMessagesNotVisible"), n("ApproximateNumberOfMessagesDelayed")}
}

func (e *conformance) deleteMsg(url string, m types.Message) {
	e.t.Helper()
	_, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
	require.NoError(e.t, err)
}

func bodies(msgs []types.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = aws.ToString(m.Body)
	}
	return out
}

// requireCode checks the error code the SDK exposes and the HTTP status.
func requireCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "not an API error: %v", err)
	assert.Equal(t, code, apiErr.ErrorCode(), "error: %v", err)
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		assert.Equal(t, status, respErr.HTTPStatusCode(), "HTTP status of %v", err)
	}
}

// --- queues ---

func TestCreateQueueIsIdempotent(t *testing.T) {
	e := setup(t)
	attrs := map[string]string{"VisibilityTimeout": "45"}
	first := e.create("idem", attrs)
	again := e.create("idem", attrs)
	assert.Equal(t, first, again)
	assert.True(t, strings.HasSuffix(first, "/"+DefaultAccount+"/"+e.name("idem")) || e.external(), first)
}

func TestCreateQueueWithDifferentAttributesFails(t *testing.T) {
	e := setup(t)
	e.create("differ", map[string]string{"VisibilityTimeout": "45"})
	_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("differ")),
		Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *types.QueueNameExists
	require.True(t, errors.As(err, &exists), "got %v", err)
	requireCode(t, err, "QueueAlreadyExists", 400)
}

func TestCreateQueueRejectsInvalidNameAndAttributes(t *testing.T) {
	e := setup(t)
	_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("bad name!"))})
	requireCode(t, err, "InvalidParameterValue", 400)
	_, err = e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name(strings.Repeat("x", 81)))})
	requireCode(t, err, "InvalidParameterValue", 400)
	_, err = e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("range")),
		Attributes: map[string]string{"VisibilityTimeout": "43201"}})
	var bad *types.InvalidAttributeValue
	require.True(t, errors.As(err, &bad), "got %v", err)
	_, err = e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("unknown")),
		Attributes: map[string]string{"NoSuchAttribute": "1"}})
	var badName *types.InvalidAttributeName
	require.True(t, errors.As(err, &badName), "got %v", err)
}

func TestGetQueueURL(t *testing.T) {
	e := setup(t)
	url := e.create("geturl", nil)
	out, err := e.c.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(e.name("geturl"))})
	require.NoError(t, err)
	assert.Equal(t, url, aws.ToString(out.QueueUrl))
}

func TestMissingQueueIsQueueDoesNotExist(t *testing.T) {
	e := setup(t)
	_, err := e.c.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(e.name("missing"))})
	var qdne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &qdne), "got %v", err)
	requireCode(t, err, "AWS.SimpleQueueService.NonExistentQueue", 400)

	url := e.create("present", nil)
	missingURL := strings.TrimSuffix(url, e.name("present")) + e.name("missing")
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(missingURL), MessageBody: aws.String("x")})
	require.True(t, errors.As(err, &qdne), "send: %v", err)
	_, err = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(missingURL)})
	require.True(t, errors.As(err, &qdne), "receive: %v", err)
}

func TestListQueuesPrefixAndPaging(t *testing.T) {
	e := setup(t)
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, e.create(fmt.Sprintf("list-%d", i), nil))
	}
	e.create("other", nil)
	out, err := e.c.ListQueues(e.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(e.name("list-"))})
	require.NoError(t, err)
	got := append([]string(nil), out.QueueUrls...)
	sort.Strings(got)
	assert.Equal(t, want, got)

	var paged []string
	p := sqs.NewListQueuesPaginator(e.c, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(e.name("list-")), MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page.QueueUrls), 2)
		paged = append(paged, page.QueueUrls...)
		pages++
	}
	sort.Strings(paged)
	assert.Equal(t, want, paged)
	assert.GreaterOrEqual(t, pages, 3)

	_, err = e.c.ListQueues(e.ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	requireCode(t, err, "InvalidParameterValue", 400)
}

func TestDeleteQueue(t *testing.T) {
	e := setup(t)
	url := e.create("del", nil)
	_, err := e.c.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	if e.external() {
		return // deletion takes up to 60 s to show on real SQS
	}
	_, err = e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
	var qdne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &qdne), "got %v", err)
}

func TestPurgeQueue(t *testing.T) {
	e := setup(t)
	url := e.create("purge", nil)
	for i := 0; i < 3; i++ {
		e.send(url, "m")
	}
	require.Len(t, e.receive(url, 1), 1)
	_, err := e.c.PurgeQueue(e.ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
	assert.Empty(t, e.receive(url, 10))
}

func TestGetQueueAttributesAll(t *testing.T) {
	e := setup(t)
	url := e.create("attrs", nil)
	a := e.attrs(url)
	for _, name := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
		"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
		"VisibilityTimeout", "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds"} {
		assert.Contains(t, a, name)
	}
	assert.Equal(t, e.arn("attrs"), a["QueueArn"])
	assert.Equal(t, "30", a["VisibilityTimeout"])
	assert.Equal(t, "345600", a["MessageRetentionPeriod"])
	assert.Equal(t, "0", a["DelaySeconds"])
	assert.Equal(t, "0", a["ReceiveMessageWaitTimeSeconds"])
	assert.NotContains(t, a, "FifoQueue")

	one := e.attrs(url, types.QueueAttributeNameVisibilityTimeout)
	assert.Equal(t, map[string]string{"VisibilityTimeout": "30"}, one)
}

func TestGetQueueAttributesUnknownName(t *testing.T) {
	e := setup(t)
	url := e.create("attrs-bad", nil)
	_, err := e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{"NoSuchAttribute"}})
	var bad *types.InvalidAttributeName
	require.True(t, errors.As(err, &bad), "got %v", err)
}

func TestSetQueueAttributes(t *testing.T) {
	e := setup(t)
	url := e.create("set", nil)
	_, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"VisibilityTimeout": "5", "DelaySeconds": "2", "MaximumMessageSize": "2048"}})
	require.NoError(t, err)
	a := e.attrs(url)
	assert.Equal(t, "5", a["VisibilityTimeout"])
	assert.Equal(t, "2", a["DelaySeconds"])
	assert.Equal(t, "2048", a["MaximumMessageSize"])

	_, err = e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"MessageRetentionPeriod": "59"}})
	var bad *types.InvalidAttributeValue
	require.True(t, errors.As(err, &bad), "got %v", err)
}

func TestCountsAreSeparate(t *testing.T) {
	e := setup(t)
	url := e.create("counts", nil)
	for i := 0; i < 3; i++ {
		e.send(url, "visible")
	}
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("delayed"), DelaySeconds: 600})
	require.NoError(t, err)
	require.Len(t, e.receive(url, 2), 2)
	assert.Equal(t, [3]int{1, 2, 1}, e.counts(url))
}

func TestTags(t *testing.T) {
	e := setup(t)
	url := e.create("tags", nil)
	_, err := e.c.TagQueue(e.ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "perf", "env": "ci"}})
	require.NoError(t, err)
	_, err = e.c.UntagQueue(e.ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}})
	require.NoError(t, err)
	out, err := e.c.ListQueueTags(e.ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "perf"}, out.Tags)

	created, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("tags-at-create")), Tags: map[string]string{"a": "b"}})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = e.c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: created.QueueUrl})
	})
	out, err = e.c.ListQueueTags(e.ctx, &sqs.ListQueueTagsInput{QueueUrl: created.QueueUrl})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "b"}, out.Tags)
}

// --- messages ---

func TestSendReceiveDelete(t *testing.T) {
	e := setup(t)
	url := e.create("basic", nil)
	sent := e.send(url, "hello")
	assert.Equal(t, md5Hex("hello"), aws.ToString(sent.MD5OfMessageBody))
	msgs := e.receive(url, 10)
	require.Len(t, msgs, 1)
	assert.Equal(t, aws.ToString(sent.MessageId), aws.ToString(msgs[0].MessageId))
	assert.Equal(t, "hello", aws.ToString(msgs[0].Body))
	assert.Equal(t, md5Hex("hello"), aws.ToString(msgs[0].MD5OfBody))
	assert.Equal(t, [3]int{0, 1, 0}, e.counts(url))
	e.deleteMsg(url, msgs[0])
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
	// Deleting again with the same handle is not an error.
	e.deleteMsg(url, msgs[0])
}

func TestMessageAttributesRoundTripWithDigest(t *testing.T) {
	e := setup(t)
	url := e.create("mattrs", nil)
	attrs := map[string]types.MessageAttributeValue{
		"s":          {DataType: aws.String("String"), StringValue: aws.String("välue")},
		"n":          {DataType: aws.String("Number"), StringValue: aws.String("-1.5e3")},
		"b":          {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"custom":     {DataType: aws.String("String.json"), StringValue: aws.String(`{"a":1}`)},
		"trace.skip": {DataType: aws.String("String"), StringValue: aws.String("x")},
	}
	sent, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("body"), MessageAttributes: attrs})
	require.NoError(t, err)
	assert.Equal(t, md5OfSDKAttributes(attrs), aws.ToString(sent.MD5OfMessageAttributes))

	msgs := e.receive(url, 1)
	require.Len(t, msgs, 1)
	assert.Equal(t, aws.ToString(sent.MD5OfMessageAttributes), aws.ToString(msgs[0].MD5OfMessageAttributes))
	assert.Equal(t, attrs["b"].BinaryValue, msgs[0].MessageAttributes["b"].BinaryValue)
	assert.Equal(t, "-1.5e3", aws.ToString(msgs[0].MessageAttributes["n"].StringValue))
	assert.Equal(t, "String.json", aws.ToString(msgs[0].MessageAttributes["custom"].DataType))
	e.deleteMsg(url, msgs[0])
}

func TestMessageAttributeNameFilter(t *testing.T) {
	e := setup(t)
	url := e.create("mattr-filter", nil)
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("body"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"keep":      {DataType: aws.String("String"), StringValue: aws.String("1")},
			"group.one": {DataType: aws.String("String"), StringValue: aws.String("2")},
			"drop":      {DataType: aws.String("String"), StringValue: aws.String("3")},
		}})
	require.NoError(t, err)
	msgs := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.MessageAttributeNames = []string{"keep", "group.*"} })
	require.Len(t, msgs, 1)
	names := make([]string, 0)
	for n := range msgs[0].MessageAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	assert.Equal(t, []string{"group.one", "keep"}, names)
}

func TestSystemAttributesOnReceive(t *testing.T) {
	e := setup(t)
	url := e.create("sysattrs", nil)
	e.send(url, "x")
	// The deprecated AttributeNames and the newer MessageSystemAttributeNames both work.
	msgs := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) {
		in.MessageSystemAttributeNames = nil
		in.AttributeNames = []types.QueueAttributeName{"SentTimestamp", "ApproximateReceiveCount"}
	})
	require.Len(t, msgs, 1)
	assert.Equal(t, "1", msgs[0].Attributes["ApproximateReceiveCount"])
	sent, err := strconv.ParseInt(msgs[0].Attributes["SentTimestamp"], 10, 64)
	require.NoError(t, err)
	assert.NotContains(t, msgs[0].Attributes, "SenderId")
	if !e.external() {
		assert.Equal(t, epoch.UnixMilli(), sent)
	}
	_, err = e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	again := e.receive(url, 1)
	require.Len(t, again, 1)
	a := again[0].Attributes
	assert.Equal(t, "2", a["ApproximateReceiveCount"])
	assert.NotEmpty(t, a["SenderId"])
	assert.NotEmpty(t, a["ApproximateFirstReceiveTimestamp"])
	assert.Equal(t, msgs[0].Attributes["SentTimestamp"], a["SentTimestamp"])
}

func TestSendMessageBatchPartialFailure(t *testing.T) {
	e := setup(t)
	url := e.create("batch", nil)
	out, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("ok1"), MessageBody: aws.String("one")},
		{Id: aws.String("bad"), MessageBody: aws.String("bad\x00char")},
		{Id: aws.String("ok2"), MessageBody: aws.String("two")},
	}})
	require.NoError(t, err)
	require.Len(t, out.Successful, 2)
	require.Len(t, out.Failed, 1)
	assert.Equal(t, "bad", aws.ToString(out.Failed[0].Id))
	assert.True(t, out.Failed[0].SenderFault)
	msgs := e.receive(url, 10)
	got := bodies(msgs)
	sort.Strings(got)
	assert.Equal(t, []string{"one", "two"}, got)

	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("d", i)), ReceiptHandle: m.ReceiptHandle})
	}
	entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("not-a-handle")})
	del, err := e.c.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	require.NoError(t, err)
	assert.Len(t, del.Successful, 2)
	require.Len(t, del.Failed, 1)
	assert.Equal(t, "ReceiptHandleIsInvalid", aws.ToString(del.Failed[0].Code))
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
}

func TestBatchRules(t *testing.T) {
	e := setup(t)
	url := e.create("batch-rules", nil)
	send := func(ids ...string) error {
		entries := []types.SendMessageBatchRequestEntry{}
		for _, id := range ids {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String("b")})
		}
		_, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		return err
	}
	var empty *types.EmptyBatchRequest
	require.True(t, errors.As(send(), &empty), "empty batch")
	var tooMany *types.TooManyEntriesInBatchRequest
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprint("id", i)
	}
	require.True(t, errors.As(send(ids...), &tooMany), "11 entries")
	var dup *types.BatchEntryIdsNotDistinct
	require.True(t, errors.As(send("a", "a"), &dup), "duplicate ids")
	var invalid *types.InvalidBatchEntryId
	require.True(t, errors.As(send("no spaces"), &invalid), "invalid id")
	require.True(t, errors.As(send(strings.Repeat("x", 81)), &invalid), "id too long")

	_, err := e.c.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: aws.String("x")}, {Id: aws.String("a"), ReceiptHandle: aws.String("y")}}})
	require.True(t, errors.As(err, &dup), "delete batch duplicate ids: %v", err)
	_, err = e.c.ChangeMessageVisibilityBatch(e.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
	require.True(t, errors.As(err, &empty), "change visibility empty batch: %v", err)
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url), "a rejected batch sends nothing")
}

func TestBatchTooLong(t *testing.T) {
	e := setup(t)
	url := e.create("batch-long", nil)
	big := strings.Repeat("x", 200*1024)
	var entries []types.SendMessageBatchRequestEntry
	for i := 0; i < 6; i++ {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(big)})
	}
	_, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	var tooLong *types.BatchRequestTooLong
	require.True(t, errors.As(err, &tooLong), "got %v", err)
}

func TestReceiveParameterRanges(t *testing.T) {
	e := setup(t)
	url := e.create("ranges", nil)
	for _, in := range []*sqs.ReceiveMessageInput{
		{QueueUrl: aws.String(url), MaxNumberOfMessages: 11},
		{QueueUrl: aws.String(url), MaxNumberOfMessages: -1},
		{QueueUrl: aws.String(url), WaitTimeSeconds: 21},
		{QueueUrl: aws.String(url), VisibilityTimeout: 43201},
	} {
		_, err := e.c.ReceiveMessage(e.ctx, in)
		requireCode(t, err, "InvalidParameterValue", 400)
	}
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 901})
	requireCode(t, err, "InvalidParameterValue", 400)
}

func TestReceiveAtMostTen(t *testing.T) {
	e := setup(t)
	url := e.create("ten", nil)
	for i := 0; i < 15; i++ {
		e.send(url, strconv.Itoa(i))
	}
	first := e.receive(url, 10)
	assert.Len(t, first, 10)
	second := e.receive(url, 10)
	if !e.external() {
		assert.Len(t, second, 5) // real SQS samples servers and may return fewer
	}
	seen := map[string]bool{}
	for _, m := range append(first, second...) {
		assert.False(t, seen[aws.ToString(m.MessageId)], "a message was delivered twice while in flight")
		seen[aws.ToString(m.MessageId)] = true
	}
}

func TestMessageSizeLimit(t *testing.T) {
	e := setup(t)
	url := e.create("size", map[string]string{"MaximumMessageSize": "1024"})
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 1024))})
	require.NoError(t, err)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 1025))})
	requireCode(t, err, "InvalidParameterValue", 400)
	// Attributes count towards the size.
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 1000)),
		MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String(strings.Repeat("y", 100))}}})
	requireCode(t, err, "InvalidParameterValue", 400)
}

func TestLargestMessage(t *testing.T) {
	e := setup(t)
	url := e.create("largest", nil)
	body := strings.Repeat("z", maxMessageSizeLimit)
	e.send(url, body)
	msgs := e.receive(url, 1)
	require.Len(t, msgs, 1)
	assert.Equal(t, body, aws.ToString(msgs[0].Body))
}

func TestInvalidMessageContents(t *testing.T) {
	e := setup(t)
	url := e.create("chars", nil)
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("nul\x00")})
	var bad *types.InvalidMessageContents
	require.True(t, errors.As(err, &bad), "got %v", err)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("tab\tnewline\n emoji 🎉 ok")})
	require.NoError(t, err)
}

func TestInvalidReceiptHandle(t *testing.T) {
	e := setup(t)
	url := e.create("handles", nil)
	_, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	var bad *types.ReceiptHandleIsInvalid
	require.True(t, errors.As(err, &bad), "got %v", err)
	requireCode(t, err, "ReceiptHandleIsInvalid", 404)
	_, err = e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 5})
	require.True(t, errors.As(err, &bad), "got %v", err)
}

// --- time: visibility, delays, retention, long polling ---

func TestVisibilityTimeoutQueueDefault(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("vis-default", map[string]string{"VisibilityTimeout": "2"})
	e.send(url, "x")
	require.Len(t, e.receive(url, 1), 1)
	assert.Empty(t, e.receive(url, 1))
	e.elapse(2 * time.Second)
	again := e.receive(url, 1)
	require.Len(t, again, 1)
	assert.Equal(t, "2", again[0].Attributes["ApproximateReceiveCount"])
}

func TestVisibilityTimeoutPerReceive(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("vis-receive", map[string]string{"VisibilityTimeout": "600"})
	e.send(url, "x")
	require.Len(t, e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 2 }), 1)
	assert.Equal(t, [3]int{0, 1, 0}, e.counts(url))
	e.elapse(2 * time.Second)
	assert.Equal(t, [3]int{1, 0, 0}, e.counts(url))
	require.Len(t, e.receive(url, 1), 1)
}

func TestChangeMessageVisibility(t *testing.T) {
	e := setup(t)
	e.needsTime(4 * time.Second)
	url := e.create("vis-change", map[string]string{"VisibilityTimeout": "2"})
	e.send(url, "x")
	msgs := e.receive(url, 1)
	require.Len(t, msgs, 1)
	_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 4})
	require.NoError(t, err)
	e.elapse(2 * time.Second)
	assert.Empty(t, e.receive(url, 1), "extended past the queue default")
	e.elapse(2 * time.Second)
	require.Len(t, e.receive(url, 1), 1)
}

func TestChangeMessageVisibilityToZero(t *testing.T) {
	e := setup(t)
	url := e.create("vis-zero", nil)
	e.send(url, "x")
	msgs := e.receive(url, 1)
	require.Len(t, msgs, 1)
	_, err := e.c.ChangeMessageVisibilityBatch(e.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url),
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("a"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0}}})
	require.NoError(t, err)
	require.Len(t, e.receive(url, 1), 1, "visible again at once")
}

func TestChangeVisibilityOfMessageNotInFlight(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("vis-notinflight", nil)
	e.send(url, "x")
	msgs := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 1 })
	require.Len(t, msgs, 1)
	e.elapse(2 * time.Second)
	_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 10})
	var notInflight *types.MessageNotInflight
	require.True(t, errors.As(err, &notInflight), "got %v", err)
}

func TestStaleReceiptHandleDoesNotDelete(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("stale", nil)
	e.send(url, "x")
	first := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 1 })
	require.Len(t, first, 1)
	e.elapse(2 * time.Second)
	second := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 30 })
	require.Len(t, second, 1)
	e.deleteMsg(url, first[0]) // accepted, as SQS does
	if !e.external() {
		assert.Equal(t, [3]int{0, 1, 0}, e.counts(url), "the newer receive still holds it")
	}
	e.deleteMsg(url, second[0])
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
}

func TestDelaySecondsPerQueueAndPerMessage(t *testing.T) {
	e := setup(t)
	e.needsTime(3 * time.Second)
	url := e.create("delay", map[string]string{"DelaySeconds": "3"})
	e.send(url, "queue-delay")
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("message-delay"), DelaySeconds: 1})
	require.NoError(t, err)
	assert.Equal(t, [3]int{0, 0, 2}, e.counts(url))
	e.elapse(1 * time.Second)
	assert.Equal(t, []string{"message-delay"}, bodies(e.receive(url, 10)))
	e.elapse(2 * time.Second)
	assert.Equal(t, []string{"queue-delay"}, bodies(e.receive(url, 10)))
}

func TestRetentionExpiry(t *testing.T) {
	e := setup(t)
	e.needsTime(61 * time.Second)
	url := e.create("retention", map[string]string{"MessageRetentionPeriod": "60"})
	e.send(url, "old")
	e.elapse(30 * time.Second)
	e.send(url, "young")
	inflight := e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 600 })
	require.Equal(t, []string{"old"}, bodies(inflight))
	e.elapse(30 * time.Second)
	assert.Equal(t, [3]int{1, 0, 0}, e.counts(url), "the old message expired even while in flight")
	e.elapse(30 * time.Second)
	assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
	assert.Empty(t, e.receive(url, 10))
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	e := setup(t)
	e.needsTime(3 * time.Second)
	dlq := e.create("dlq", nil)
	src := e.create("redrive", map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, e.arn("dlq")),
	})
	e.send(src, "poison")
	for i := 1; i <= 2; i++ {
		msgs := e.receive(src, 1)
		require.Len(t, msgs, 1, "receive %d", i)
		e.elapse(time.Second)
	}
	assert.Empty(t, e.receive(src, 1), "the third receive moves it instead")
	var got []types.Message
	if e.external() {
		require.Eventually(t, func() bool { got = e.receive(dlq, 1); return len(got) == 1 }, 10*time.Second, 500*time.Millisecond)
	} else {
		got = e.receive(dlq, 1)
	}
	require.Len(t, got, 1)
	assert.Equal(t, "poison", aws.ToString(got[0].Body))
	assert.Equal(t, e.arn("redrive"), got[0].Attributes["DeadLetterQueueSourceArn"])

	srcs, err := e.c.ListDeadLetterSourceQueues(e.ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	require.NoError(t, err)
	assert.Equal(t, []string{src}, srcs.QueueUrls)
	assert.Contains(t, e.attrs(src)["RedrivePolicy"], e.arn("dlq"))
}

func TestRedrivePolicyNeedsExistingTarget(t *testing.T) {
	e := setup(t)
	_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("orphan")), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, e.arn("no-such-dlq"))}})
	requireCode(t, err, "InvalidParameterValue", 400)
}

func TestLongPollReturnsWhenMessageArrives(t *testing.T) {
	e := setup(t)
	url := e.create("longpoll", nil)
	var wg sync.WaitGroup
	var got *sqs.ReceiveMessageOutput
	var recvErr error
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, recvErr = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
	}()
	if e.external() {
		time.Sleep(time.Second)
	} else {
		require.Eventually(t, func() bool { return e.clock.Pending() > 0 }, 10*time.Second, time.Millisecond, "receiver parks")
	}
	e.send(url, "wake")
	wg.Wait()
	require.NoError(t, recvErr)
	assert.Equal(t, []string{"wake"}, bodies(got.Messages))
	assert.Less(t, time.Since(start), 15*time.Second, "returned before the wait ran out")
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("longpoll-empty", nil)
	done := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2})
		assert.NoError(t, err)
		done <- out
	}()
	if !e.external() {
		require.Eventually(t, func() bool { return e.clock.Pending() > 0 }, 10*time.Second, time.Millisecond)
		select {
		case <-done:
			t.Fatal("returned before the wait time with no message")
		default:
		}
		e.clock.Advance(2 * time.Second)
	}
	out := <-done
	require.NotNil(t, out)
	assert.Empty(t, out.Messages)
}

func TestLongPollWakesWhenVisibilityEnds(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	url := e.create("longpoll-vis", nil)
	e.send(url, "x")
	require.Len(t, e.receive(url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 2 }), 1)
	done := make(chan []types.Message, 1)
	go func() {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		assert.NoError(t, err)
		if out == nil {
			out = &sqs.ReceiveMessageOutput{}
		}
		done <- out.Messages
	}()
	if !e.external() {
		// one timer for the queue's visibility deadline, one for the poll
		require.Eventually(t, func() bool { return e.clock.Pending() >= 2 }, 10*time.Second, time.Millisecond)
		e.clock.Advance(2 * time.Second)
	}
	assert.Equal(t, []string{"x"}, bodies(<-done))
}

func TestReceiveWaitTimeQueueDefault(t *testing.T) {
	e := setup(t)
	if e.external() {
		t.Skip("observes the parked receiver through the fake clock")
	}
	url := e.create("wait-default", map[string]string{"ReceiveMessageWaitTimeSeconds": "5"})
	done := make(chan int, 1)
	go func() {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		assert.NoError(t, err)
		if out == nil {
			out = &sqs.ReceiveMessageOutput{}
		}
		done <- len(out.Messages)
	}()
	require.Eventually(t, func() bool { return e.clock.Pending() > 0 }, 10*time.Second, time.Millisecond, "the queue's wait time applies")
	e.clock.Advance(5 * time.Second)
	assert.Equal(t, 0, <-done)
}

// --- FIFO ---

func (e *conformance) sendFIFO(url, group, dedup, body string) *sqs.SendMessageOutput {
	e.t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := e.c.SendMessage(e.ctx, in)
	require.NoError(e.t, err)
	return out
}

func TestFIFOOrderWithinGroupAndSequenceNumbers(t *testing.T) {
	e := setup(t)
	url := e.create("order.fifo", map[string]string{"FifoQueue": "true"})
	var seqs []string
	for i := 0; i < 5; i++ {
		out := e.sendFIFO(url, "g", fmt.Sprint("d", i), fmt.Sprint(i))
		require.NotEmpty(t, aws.ToString(out.SequenceNumber))
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	assert.True(t, sort.StringsAreSorted(seqs), "sequence numbers increase: %v", seqs)
	msgs := e.receive(url, 10)
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, bodies(msgs))
	assert.Equal(t, seqs[0], msgs[0].Attributes["SequenceNumber"])
	assert.Equal(t, "g", msgs[0].Attributes["MessageGroupId"])
	assert.Equal(t, "d0", msgs[0].Attributes["MessageDeduplicationId"])
}

func TestFIFOOneBatchOfAGroupInFlight(t *testing.T) {
	e := setup(t)
	url := e.create("groups.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	e.sendFIFO(url, "a", "", "a1")
	e.sendFIFO(url, "a", "", "a2")
	e.sendFIFO(url, "b", "", "b1")
	first := e.receive(url, 1)
	require.Equal(t, []string{"a1"}, bodies(first))
	second := e.receive(url, 10)
	assert.Equal(t, []string{"b1"}, bodies(second), "group a is blocked while a1 is in flight")
	assert.Empty(t, e.receive(url, 10))
	e.deleteMsg(url, first[0])
	assert.Equal(t, []string{"a2"}, bodies(e.receive(url, 10)))
}

func TestFIFOReturnedMessageKeepsItsPlace(t *testing.T) {
	e := setup(t)
	url := e.create("requeue.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"1", "2", "3"} {
		e.sendFIFO(url, "g", "", b)
	}
	msgs := e.receive(url, 2)
	require.Equal(t, []string{"1", "2"}, bodies(msgs))
	e.deleteMsg(url, msgs[0])
	_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "3"}, bodies(e.receive(url, 10)))
}

func TestFIFODeduplication(t *testing.T) {
	e := setup(t)
	e.needsTime(fifoDedupWindowSeconds * time.Second)
	url := e.create("dedup.fifo", map[string]string{"FifoQueue": "true"})
	first := e.sendFIFO(url, "g", "same", "one")
	dup := e.sendFIFO(url, "g", "same", "two")
	assert.Equal(t, aws.ToString(first.MessageId), aws.ToString(dup.MessageId))
	assert.Equal(t, [3]int{1, 0, 0}, e.counts(url))
	e.elapse(fifoDedupWindowSeconds * time.Second)
	e.sendFIFO(url, "g", "same", "three")
	assert.Equal(t, [3]int{2, 0, 0}, e.counts(url), "the window has passed")
}

func TestFIFOContentBasedDeduplication(t *testing.T) {
	e := setup(t)
	url := e.create("content.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	a := e.sendFIFO(url, "g", "", "same body")
	b := e.sendFIFO(url, "g", "", "same body")
	assert.Equal(t, aws.ToString(a.MessageId), aws.ToString(b.MessageId))
	e.sendFIFO(url, "g", "", "other body")
	assert.Equal(t, [3]int{2, 0, 0}, e.counts(url))
}

func TestFIFOParameterRules(t *testing.T) {
	e := setup(t)
	url := e.create("rules.fifo", map[string]string{"FifoQueue": "true"})
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	requireCode(t, err, "MissingParameter", 400)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
	requireCode(t, err, "InvalidParameterValue", 400)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"),
		MessageDeduplicationId: aws.String("d"), DelaySeconds: 5})
	requireCode(t, err, "InvalidParameterValue", 400)
	_, err = e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("nofifo.fifo"))})
	requireCode(t, err, "InvalidParameterValue", 400)
	a := e.attrs(url)
	assert.Equal(t, "true", a["FifoQueue"])
	assert.Equal(t, "false", a["ContentBasedDeduplication"])
}

// --- addressing ---

func TestQueueURLWithAnotherHostName(t *testing.T) {
	e := setup(t)
	if e.external() {
		t.Skip("host aliasing is a property of the embedded server")
	}
	url := e.create("alias", nil)
	alias := strings.Replace(url, "127.0.0.1", "localhost", 1)
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(alias), MessageBody: aws.String("x")})
	require.NoError(t, err)
	assert.Equal(t, [3]int{1, 0, 0}, e.counts(url))
	other := strings.Replace(url, "/"+DefaultAccount+"/", "/123456789012/", 1)
	_, err = e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(other), MessageBody: aws.String("x")})
	var qdne *types.QueueDoesNotExist
	require.True(t, errors.As(err, &qdne), "another account's queue: %v", err)
}

func TestFIFORedriveToFIFODeadLetterQueue(t *testing.T) {
	e := setup(t)
	e.needsTime(2 * time.Second)
	e.create("fdlq.fifo", map[string]string{"FifoQueue": "true"})
	url := e.create("fsrc.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "1",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, e.arn("fdlq.fifo"))})
	e.sendFIFO(url, "g", "", "first")
	e.sendFIFO(url, "g", "", "second")
	require.Equal(t, []string{"first"}, bodies(e.receive(url, 1)))
	e.elapse(time.Second)
	// "first" has used its one receive: it moves, and the group goes on.
	got := e.receive(url, 1)
	if e.external() && len(got) == 0 {
		got = e.receive(url, 1)
	}
	assert.Equal(t, []string{"second"}, bodies(got))
	dlqURL := strings.TrimSuffix(url, e.name("fsrc.fifo")) + e.name("fdlq.fifo")
	var dead []types.Message
	require.Eventually(t, func() bool { dead = e.receive(dlqURL, 10); return len(dead) > 0 }, 10*time.Second, 200*time.Millisecond)
	assert.Equal(t, []string{"first"}, bodies(dead))
	assert.Equal(t, "g", dead[0].Attributes["MessageGroupId"])
}

func TestRedrivePolicySetLater(t *testing.T) {
	e := setup(t)
	e.needsTime(time.Second)
	dlq := e.create("late-dlq", nil)
	url := e.create("late-src", map[string]string{"VisibilityTimeout": "1"})
	e.send(url, "x")
	require.Len(t, e.receive(url, 1), 1)
	_, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, e.arn("late-dlq"))}})
	require.NoError(t, err)
	e.elapse(time.Second)
	assert.Empty(t, e.receive(url, 1), "already received once: moves on the next receive")
	require.Eventually(t, func() bool { return len(e.receive(dlq, 1)) == 1 }, 10*time.Second, 200*time.Millisecond)
}

func TestDeleteQueueEndsLongPoll(t *testing.T) {
	e := setup(t)
	if e.external() {
		t.Skip("SQS keeps answering a deleted queue's polls for up to 60 s")
	}
	url := e.create("gone", nil)
	done := make(chan error, 1)
	go func() {
		_, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		done <- err
	}()
	require.Eventually(t, func() bool { return e.clock.Pending() > 0 }, 10*time.Second, time.Millisecond)
	_, err := e.c.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	var qdne *types.QueueDoesNotExist
	require.True(t, errors.As(<-done, &qdne))
}

func TestPurgeDropsMessagesInFlight(t *testing.T) {
	e := setup(t)
	url := e.create("purge-inflight", nil)
	e.send(url, "x")
	msgs := e.receive(url, 1)
	require.Len(t, msgs, 1)
	_, err := e.c.PurgeQueue(e.ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	require.NoError(t, err)
	e.deleteMsg(url, msgs[0]) // a handle from before the purge is harmless
	if !e.external() {
		assert.Equal(t, [3]int{0, 0, 0}, e.counts(url))
	}
}

func TestRedriveDoesNotHideTheNextMessage(t *testing.T) {
	e := setup(t)
	e.needsTime(time.Second)
	e.create("next-dlq", nil)
	url := e.create("next-src", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, e.arn("next-dlq"))})
	e.send(url, "poison")
	require.Len(t, e.receive(url, 1), 1)
	e.elapse(time.Second)
	e.send(url, "fresh")
	// One short receive: the poison message moves and the fresh one comes back.
	got := e.receive(url, 1)
	if e.external() && len(got) == 0 {
		got = e.receive(url, 1)
	}
	assert.Equal(t, []string{"fresh"}, bodies(got))
}
