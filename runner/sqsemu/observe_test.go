package sqsemu

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"
)

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) observe(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func kinds(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind.String() + "@" + e.Queue
	}
	return out
}

func TestObserverSeesEveryTransition(t *testing.T) {
	clock := NewFakeClock(epoch)
	rec := &recorder{}
	srv := NewServer(WithClock(clock), WithObserver(rec.observe))
	defer srv.Close()
	c, ctx := srv.Client(), t.Context()

	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq")})
	require.NoError(t, err)
	src, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"1"}`,
	}})
	require.NoError(t, err)

	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("a")})
	require.NoError(t, err)
	id := aws.ToString(sent.MessageId)
	evs := rec.take()
	require.Equal(t, []string{"sent@src"}, kinds(evs))
	require.Equal(t, id, evs[0].MessageID)
	require.Equal(t, epoch, evs[0].SentAt)
	require.Equal(t, epoch, evs[0].VisibleAt, "a message without delay is visible when sent")

	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl})
	require.NoError(t, err)
	require.Len(t, got.Messages, 1)
	evs = rec.take()
	require.Equal(t, []string{"received@src"}, kinds(evs))
	require.Equal(t, 1, evs[0].ReceiveCount)
	require.Equal(t, epoch.Add(30*time.Second), evs[0].VisibleAt)

	clock.Advance(time.Second)
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: src.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	evs = rec.take()
	require.Equal(t, []string{"visibility-changed@src"}, kinds(evs))
	require.Equal(t, evs[0].At, evs[0].VisibleAt, "a release makes it visible at once")

	// Received once already: the next receive moves it to the DLQ.
	got, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl})
	require.NoError(t, err)
	require.Empty(t, got.Messages)
	evs = rec.take()
	require.Equal(t, []string{"dead-lettered@dlq"}, kinds(evs))
	require.Equal(t, id, evs[0].MessageID)
	require.Equal(t, "src", evs[0].FromQueue)

	got, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl})
	require.NoError(t, err)
	require.Len(t, got.Messages, 1)
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: dlq.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle})
	require.NoError(t, err)
	require.Equal(t, []string{"received@dlq", "deleted@dlq"}, kinds(rec.take()))

	// A stale handle deletes nothing and reports nothing.
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: dlq.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle})
	require.NoError(t, err)
	require.Empty(t, rec.take())

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("b")})
	require.NoError(t, err)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("c"), DelaySeconds: 5})
	require.NoError(t, err)
	evs = rec.take()
	require.Equal(t, []string{"sent@src", "sent@src"}, kinds(evs))
	require.Equal(t, clock.Now().Add(5*time.Second), evs[1].VisibleAt, "a delayed message is visible after its delay")

	snap := srv.Snapshot()
	require.Len(t, snap, 2)
	require.Equal(t, "visible", snap[0].State)
	require.Equal(t, "delayed", snap[1].State)

	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: src.QueueUrl})
	require.NoError(t, err)
	require.Equal(t, []string{"purged@src", "purged@src"}, kinds(rec.take()))
	require.Empty(t, srv.Snapshot())

	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String("d")})
	require.NoError(t, err)
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: src.QueueUrl})
	require.NoError(t, err)
	require.Equal(t, []string{"sent@src", "queue-deleted@src"}, kinds(rec.take()))
}

func TestObserverSeesRetentionExpiry(t *testing.T) {
	clock := NewFakeClock(epoch)
	rec := &recorder{}
	srv := NewServer(WithClock(clock), WithObserver(rec.observe))
	defer srv.Close()
	c, ctx := srv.Client(), t.Context()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"MessageRetentionPeriod": "60"}})
	require.NoError(t, err)
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("a")})
	require.NoError(t, err)
	clock.Advance(61 * time.Second)
	require.Empty(t, srv.Snapshot())
	require.Equal(t, []string{"sent@q", "expired@q"}, kinds(rec.take()))
}

// TestObserveWithoutObserverDoesNotAllocate guards the hot paths: the
// hooks in send, receive and delete must cost nothing without an observer.
func TestObserveWithoutObserverDoesNotAllocate(t *testing.T) {
	h := New(WithClock(NewFakeClock(epoch)))
	defer h.Close()
	q := newQueue(h, "q", queueConfig{retentionPeriod: 60}, epoch)
	m := &message{id: "id", sentAt: epoch}
	allocs := testing.AllocsPerRun(1000, func() {
		q.observe(EventReceived, m, epoch)
		q.observe(EventDeleted, m, time.Time{})
	})
	require.Zero(t, allocs)
}

func BenchmarkObserveNoObserver(b *testing.B) {
	h := New(WithClock(NewFakeClock(epoch)))
	defer h.Close()
	q := newQueue(h, "q", queueConfig{retentionPeriod: 60}, epoch)
	m := &message{id: "id", sentAt: epoch}
	b.ReportAllocs()
	for b.Loop() {
		q.observe(EventReceived, m, epoch)
	}
}

func TestHTTPWrapperAnswersNextToTheAPI(t *testing.T) {
	srv := NewServer(WithHTTPWrapper(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/extra" {
				_, _ = io.WriteString(w, "extra")
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	defer srv.Close()
	_, err := srv.Client().CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("q")})
	require.NoError(t, err, "the SQS API still answers through the wrapper")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/extra", nil)
	require.NoError(t, err)
	httpc := &http.Client{}
	defer httpc.CloseIdleConnections()
	resp, err := httpc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "extra", strings.TrimSpace(string(body)))
}
