package sqsemu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandler sends arbitrary action names and bodies to a handler that
// holds a standard queue, a FIFO queue and messages in flight. Whatever
// arrives, the handler must answer with JSON: a success, or an error with
// a __type and the query-error header; never a panic (the recover would
// turn one into a 500, which this test also rejects).
func FuzzHandler(f *testing.F) {
	for _, seed := range [][2]string{
		{"CreateQueue", `{"QueueName":"n","Attributes":{"VisibilityTimeout":"5"}}`},
		{"SendMessage", `{"QueueUrl":"http://h/000000000000/q","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Number","StringValue":"1"}}}`},
		{"SendMessageBatch", `{"QueueUrl":"/000000000000/f.fifo","Entries":[{"Id":"1","MessageBody":"b","MessageGroupId":"g","MessageDeduplicationId":"d"}]}`},
		{"ReceiveMessage", `{"QueueUrl":"q","MaxNumberOfMessages":10,"WaitTimeSeconds":20,"AttributeNames":["All"],"MessageAttributeNames":["a.*"]}`},
		{"DeleteMessageBatch", `{"QueueUrl":"q","Entries":[{"Id":"a","ReceiptHandle":"00000000-0000-0000-0000-000000000000.1"}]}`},
		{"ChangeMessageVisibility", `{"QueueUrl":"q","ReceiptHandle":"x.y","VisibilityTimeout":-1}`},
		{"SetQueueAttributes", `{"QueueUrl":"q","Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:q\",\"maxReceiveCount\":1}"}}`},
		{"ListQueues", `{"MaxResults":1,"NextToken":"cQ"}`},
		{"GetQueueAttributes", `{"QueueUrl":"q","AttributeNames":["All","Nope"]}`},
		{"PurgeQueue", `null`},
		{"DeleteQueue", `{"QueueUrl":"f.fifo"}`},
		{"TagQueue", `{"QueueUrl":"q","Tags":{"":""}}`},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		h, handles := fuzzHandler(t)
		defer h.Close()
		// Receipt handles are hard to guess; let the fuzzer refer to live ones.
		text := strings.ReplaceAll(string(body), "$HANDLE", handles[0])
		req := httptest.NewRequest(http.MethodPost, "http://sqs.test/", strings.NewReader(text))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		// A cancelled request makes long polls return at once instead of
		// waiting on the fake clock.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req = req.WithContext(ctx)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("internal error for %s %q: %s", action, text, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not a JSON object (%v): %q", err, rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			if typ, _ := out["__type"].(string); typ == "" {
				t.Fatalf("error without __type: %d %s", rec.Code, rec.Body.String())
			}
			if rec.Header().Get("X-Amzn-Query-Error") == "" {
				t.Fatalf("error without x-amzn-query-error: %s", rec.Body.String())
			}
		}
		checkInvariants(t, h)
	})
}

func fuzzHandler(t *testing.T) (*Handler, []string) {
	h := New(WithClock(NewFakeClock(epoch)))
	post := func(action, body string) map[string]any {
		req := httptest.NewRequest(http.MethodPost, "http://sqs.test/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("setup %s: %s", action, rec.Body.String())
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return out
	}
	post("CreateQueue", `{"QueueName":"q"}`)
	post("CreateQueue", `{"QueueName":"f.fifo","Attributes":{"FifoQueue":"true","ContentBasedDeduplication":"true"}}`)
	post("SendMessage", `{"QueueUrl":"/000000000000/q","MessageBody":"one"}`)
	post("SendMessage", `{"QueueUrl":"/000000000000/q","MessageBody":"two"}`)
	post("SendMessage", `{"QueueUrl":"/000000000000/f.fifo","MessageBody":"three","MessageGroupId":"g"}`)
	got := post("ReceiveMessage", `{"QueueUrl":"/000000000000/q"}`)
	msgs, _ := got["Messages"].([]any)
	handle := "none"
	if len(msgs) == 1 {
		handle, _ = msgs[0].(map[string]any)["ReceiptHandle"].(string)
	}
	return h, []string{handle}
}

// checkInvariants verifies every queue's counters against its structures.
func checkInvariants(t *testing.T, h *Handler) {
	h.queues.Range(func(_, v any) bool {
		q := v.(*queue)
		q.mu.Lock()
		defer q.mu.Unlock()
		var visible, inflight, delayed int
		for m := q.oldest; m != nil; m = m.newer {
			switch m.state {
			case stateVisible:
				visible++
			case stateInflight:
				inflight++
			case stateDelayed:
				delayed++
			default:
				t.Fatalf("queue %s: message %s in the live list has state %d", q.name, m.id, m.state)
			}
		}
		if visible != q.nVisible || inflight != q.nInflight || delayed != q.nDelayed || len(q.byID) != visible+inflight+delayed {
			t.Fatalf("queue %s: counters %d/%d/%d, messages %d/%d/%d, index %d",
				q.name, q.nVisible, q.nInflight, q.nDelayed, visible, inflight, delayed, len(q.byID))
		}
		if len(q.inflight) != inflight || len(q.delayed) != delayed {
			t.Fatalf("queue %s: heaps %d/%d, messages %d/%d", q.name, len(q.inflight), len(q.delayed), inflight, delayed)
		}
		return true
	})
}
