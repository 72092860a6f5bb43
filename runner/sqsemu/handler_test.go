package sqsemu

import (
	"bytes"
	"time"

	"encoding/json"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call sends one raw AWS JSON 1.0 request to h and decodes the answer.
func call(t *testing.T, h http.Handler, target, body string) (int, http.Header, map[string]any) {
	t.Helper()
	return callWithContentType(t, h, target, body, "application/x-amz-json-1.0")
}

// callWithContentType is call with another Content-Type ("" for none).
func callWithContentType(t *testing.T, h http.Handler, target, body, contentType string) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://sqs.test/", strings.NewReader(body))
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), "body %q", rec.Body.String())
	return rec.Code, rec.Header(), out
}

func TestErrorShapeOnTheWire(t *testing.T) {
	h := New()
	defer h.Close()
	status, hdr, body := call(t, h, "AmazonSQS.GetQueueUrl", `{"QueueName":"missing"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "com.amazonaws.sqs#QueueDoesNotExist", body["__type"])
	assert.NotEmpty(t, body["message"])
	assert.Equal(t, "AWS.SimpleQueueService.NonExistentQueue;Sender", hdr.Get("X-Amzn-Query-Error"))
	assert.Equal(t, "application/x-amz-json-1.0", hdr.Get("Content-Type"))
	assert.NotEmpty(t, hdr.Get("X-Amzn-RequestId"))
}

func TestMalformedRequests(t *testing.T) {
	h := New()
	defer h.Close()
	status, _, body := call(t, h, "AmazonSQS.CreateQueue", `{"QueueName":"q"}`)
	require.Equal(t, http.StatusOK, status, body)
	url := body["QueueUrl"].(string)

	cases := []struct {
		name, target, body, wantType string
		status                       int
	}{
		{"not JSON", "AmazonSQS.SendMessage", `{not json`, "com.amazon.coral.service#SerializationException", 400},
		{"wrong type", "AmazonSQS.ReceiveMessage", `{"QueueUrl":"` + url + `","MaxNumberOfMessages":"ten"}`, "com.amazon.coral.service#SerializationException", 400},
		{"array body", "AmazonSQS.ListQueues", `[]`, "com.amazon.coral.service#SerializationException", 400},
		{"unknown action", "AmazonSQS.Explode", `{}`, "com.amazon.coral.service#UnknownOperationException", 400},
		{"not implemented", "AmazonSQS.AddPermission", `{}`, "com.amazonaws.sqs#UnsupportedOperation", 400},
		{"no target", "", `{}`, "com.amazon.coral.service#UnknownOperationException", 400},
		{"other service", "DynamoDB_20120810.ListTables", `{}`, "com.amazon.coral.service#UnknownOperationException", 400},
		{"missing queue url", "AmazonSQS.SendMessage", `{"MessageBody":"x"}`, "com.amazonaws.sqs#MissingParameter", 400},
		{"bad receipt handle", "AmazonSQS.DeleteMessage", `{"QueueUrl":"` + url + `","ReceiptHandle":"nope"}`, "com.amazonaws.sqs#ReceiptHandleIsInvalid", 404},
		{"max messages out of range", "AmazonSQS.ReceiveMessage", `{"QueueUrl":"` + url + `","MaxNumberOfMessages":0}`, "com.amazonaws.sqs#InvalidParameterValue", 400},
		{"bad attribute type", "AmazonSQS.SendMessage", `{"QueueUrl":"` + url + `","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Blob","StringValue":"v"}}}`, "com.amazonaws.sqs#InvalidParameterValue", 400},
		{"binary not base64", "AmazonSQS.SendMessage", `{"QueueUrl":"` + url + `","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"!!"}}}`, "com.amazon.coral.service#SerializationException", 400},
		{"redrive not JSON", "AmazonSQS.SetQueueAttributes", `{"QueueUrl":"` + url + `","Attributes":{"RedrivePolicy":"{"}}`, "com.amazonaws.sqs#InvalidAttributeValue", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := call(t, h, tc.target, tc.body)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.wantType, body["__type"])
			assert.NotEmpty(t, hdr.Get("X-Amzn-Query-Error"))
		})
	}
	// None of that disturbed the queue.
	status, _, body = call(t, h, "AmazonSQS.GetQueueAttributes", `{"QueueUrl":"`+url+`","AttributeNames":["All"]}`)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "0", body["Attributes"].(map[string]any)["ApproximateNumberOfMessages"])
}

func TestRequestBodyLimit(t *testing.T) {
	h := New(WithMaxBodyBytes(1024))
	defer h.Close()
	status, _, body := call(t, h, "AmazonSQS.ListQueues", `{"QueueNamePrefix":"`+strings.Repeat("a", 2000)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Equal(t, "com.amazonaws.sqs#RequestEntityTooLarge", body["__type"])
}

func TestOnlyPOST(t *testing.T) {
	h := New()
	defer h.Close()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://sqs.test/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestPanicBecomesInternalError(t *testing.T) {
	var logs bytes.Buffer
	h := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	defer h.Close()
	actions["TestOnlyPanic"] = func(*Handler, *requestInfo, []byte) (any, *apiError) { panic("boom") }
	defer delete(actions, "TestOnlyPanic")
	status, hdr, body := call(t, h, "AmazonSQS.TestOnlyPanic", `{}`)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "com.amazonaws.sqs#InternalError", body["__type"])
	assert.Equal(t, "InternalError;Receiver", hdr.Get("X-Amzn-Query-Error"))
	assert.Contains(t, logs.String(), "boom")
	// The handler keeps serving.
	status, _, _ = call(t, h, "AmazonSQS.ListQueues", `{}`)
	assert.Equal(t, http.StatusOK, status)
}

func TestServerCloseReleasesLongPolls(t *testing.T) {
	clock := NewFakeClock(epoch)
	srv := NewServer(WithClock(clock))
	c := srv.Client()
	ctx := t.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20})
		if err == nil {
			assert.Empty(t, out.Messages)
		}
	}()
	require.Eventually(t, func() bool { return clock.Pending() > 0 }, 10*time.Second, time.Millisecond, "receiver parks")
	srv.Close() // returns only once the parked receive has been answered
	<-done
}

func TestServerURLOfWildcardListenIsDialable(t *testing.T) {
	// Unit-tested on addresses rather than by listening on all interfaces.
	assert.Equal(t, "127.0.0.1:9324", dialableAddr(&net.TCPAddr{IP: net.IPv4zero, Port: 9324}))
	assert.Equal(t, "127.0.0.1:9324", dialableAddr(&net.TCPAddr{IP: net.IPv6unspecified, Port: 9324}))
	assert.Equal(t, "127.0.0.1:80", dialableAddr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}))
	assert.Equal(t, "[::1]:80", dialableAddr(&net.TCPAddr{IP: net.IPv6loopback, Port: 80}))
}
