package ledger

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	t     *testing.T
	clock *sqsemu.FakeClock
	srv   *sqsemu.Server
	l     *Ledger
	c     *sqs.Client
}

func newEnv(t *testing.T) *env {
	clock := sqsemu.NewFakeClock(epoch)
	l := NewWithClock(clock.Now)
	srv := sqsemu.NewServer(append(ServerOptions(l), sqsemu.WithClock(clock))...)
	t.Cleanup(srv.Close)
	return &env{t: t, clock: clock, srv: srv, l: l, c: srv.Client()}
}

func (e *env) queue(name string, attrs map[string]string) string {
	out, err := e.c.CreateQueue(e.t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(e.t, err)
	return aws.ToString(out.QueueUrl)
}

// sendN sends bodies "0".."n-1" and returns the message id of each.
func (e *env) sendN(url string, n int) []string {
	ids := make([]string, n)
	for start := 0; start < n; start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, n); i++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i))})
		}
		out, err := e.c.SendMessageBatch(e.t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		require.NoError(e.t, err)
		require.Empty(e.t, out.Failed)
		for _, s := range out.Successful {
			i, _ := strconv.Atoi(aws.ToString(s.Id))
			ids[i] = aws.ToString(s.MessageId)
		}
	}
	return ids
}

// consume receives until the queue is empty, advancing the clock by step
// per batch, and deletes every message keep says to.
func (e *env) consume(url string, step time.Duration, keep func(body string) bool) {
	for {
		out, err := e.c.ReceiveMessage(e.t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		require.NoError(e.t, err)
		if len(out.Messages) == 0 {
			return
		}
		e.clock.Advance(step)
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			if keep(aws.ToString(m.Body)) {
				del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) > 0 {
			res, err := e.c.DeleteMessageBatch(e.t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
			require.NoError(e.t, err)
			require.Empty(e.t, res.Failed)
		}
	}
}

func all(string) bool { return true }

func TestConsumerThatDeletesEverythingLosesNothing(t *testing.T) {
	e := newEnv(t)
	url := e.queue("jobs", nil)
	e.sendN(url, 1000)
	e.clock.Advance(time.Second)
	e.consume(url, 10*time.Millisecond, all)

	s := e.l.Summary()
	require.Equal(t, Counts{Sent: 1000, Processed: 1000}, s.Counts)
	require.Empty(t, s.LostIDs)
	require.True(t, s.Settled())
	require.Zero(t, s.Redeliveries)
	require.Equal(t, 1000, s.QueueWait.Count)
	require.Equal(t, time.Second, s.QueueWait.P50-s.QueueWait.P50%time.Second, "the first batch waited 1 s, the rest longer")
	require.Equal(t, 10*time.Millisecond, s.TimeInService.Max, "each batch was deleted 10 ms after its receive")
	require.Equal(t, Counts{Sent: 1000, Processed: 1000}, s.Queues["jobs"])
}

// A consumer that never deletes one message in a thousand: in flight
// until its visibility timeout runs out, then lost by id; received again
// and deleted, it is processed with one redelivery.
func TestNeverDeletedMessageIsLostOnceItsTimeoutRunsOut(t *testing.T) {
	e := newEnv(t)
	url := e.queue("jobs", map[string]string{"VisibilityTimeout": "30"})
	ids := e.sendN(url, 1000)
	e.consume(url, time.Millisecond, func(body string) bool { return body != "999" })

	s := e.l.Summary()
	require.Equal(t, Counts{Sent: 1000, Processed: 999, InFlight: 1}, s.Counts, "within its timeout it is in flight, not lost")
	require.False(t, s.Settled())
	require.Len(t, s.InFlightIDs, 1, "the held message is named")
	require.Equal(t, ids[999], s.InFlightIDs[0].ID)
	require.Contains(t, s.InFlightIDs[0].Reason, "runs out in 30s")

	e.clock.Advance(30 * time.Second)
	s = e.l.Summary()
	require.Equal(t, Counts{Sent: 1000, Processed: 999, Lost: 1}, s.Counts)
	require.Len(t, s.LostIDs, 1)
	require.Equal(t, ids[999], s.LostIDs[0].ID)
	require.Equal(t, "jobs", s.LostIDs[0].Queue)
	require.Equal(t, 1, s.LostIDs[0].Receives)
	require.Contains(t, s.LostIDs[0].Reason, "visibility timeout ran out")

	// The server agrees: it is the only message left, visible again.
	snap := e.srv.Snapshot()
	require.Len(t, snap, 1)
	require.Equal(t, ids[999], snap[0].MessageID)
	require.Equal(t, "visible", snap[0].State)

	e.consume(url, time.Millisecond, all)
	s = e.l.Summary()
	require.Equal(t, Counts{Sent: 1000, Processed: 1000}, s.Counts)
	require.Equal(t, 1, s.Redeliveries)
	require.Equal(t, 1, s.Redelivered)
	require.True(t, s.Settled())
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	e := newEnv(t)
	e.queue("dlq", nil)
	url := e.queue("jobs", map[string]string{
		"VisibilityTimeout": "5",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"}`,
	})
	ids := e.sendN(url, 10)
	poison := func(body string) bool { return body != "3" }
	for range 3 { // receive 1, receive 2, then the move
		e.consume(url, time.Millisecond, poison)
		e.clock.Advance(5 * time.Second)
	}
	s := e.l.Summary()
	require.Equal(t, Counts{Sent: 10, Processed: 9, DeadLettered: 1}, s.Counts)
	require.Equal(t, 1, s.Redeliveries, "two receives before the move")
	require.True(t, s.Settled())
	var dl Life
	for _, m := range e.l.Lives() {
		if m.ID == ids[3] {
			dl = m
		}
	}
	require.Equal(t, "dlq", dl.DeadLetterQ)
	require.Equal(t, "jobs", dl.Queue)
	require.Len(t, s.DeadLetteredIDs, 1, "the dead-lettered message is named")
	require.Equal(t, ids[3], s.DeadLetteredIDs[0].ID)
	require.Equal(t, 2, s.DeadLetteredIDs[0].Receives)
	require.Equal(t, "moved to dlq by the redrive policy after 2 receives", s.DeadLetteredIDs[0].Reason)
	require.Empty(t, s.InFlightIDs)
	require.Empty(t, s.LostIDs)

	// Receiving and deleting on the dead-letter queue changes nothing:
	// the work ended there.
	e.consume(e.queue("dlq", nil), time.Millisecond, all)
	s2 := e.l.Summary()
	require.Equal(t, s.Counts, s2.Counts)
	require.Equal(t, 1, s2.Redeliveries)
}

func TestHandedBackMessagesAreWaitingNotLost(t *testing.T) {
	e := newEnv(t)
	url := e.queue("jobs", map[string]string{"VisibilityTimeout": "30"})
	e.sendN(url, 2)
	out, err := e.c.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	require.NoError(t, err)
	require.Len(t, out.Messages, 2)
	for i, m := range out.Messages {
		// one released at once (shutdown), one given a retry delay
		_, err := e.c.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(i * 10)})
		require.NoError(t, err)
	}
	require.Equal(t, Counts{Sent: 2, Waiting: 1, InFlight: 1}, e.l.Summary().Counts)
	e.clock.Advance(11 * time.Second)
	require.Equal(t, Counts{Sent: 2, Waiting: 2}, e.l.Summary().Counts)
}

func TestPurgedAndExpiredMessagesAreLost(t *testing.T) {
	e := newEnv(t)
	a := e.queue("a", nil)
	b := e.queue("b", map[string]string{"MessageRetentionPeriod": "60"})
	ida := e.sendN(a, 1)
	idb := e.sendN(b, 1)
	_, err := e.c.PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: aws.String(a)})
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	s := e.l.Summary()
	require.Equal(t, Counts{Sent: 2, Lost: 2}, s.Counts)
	require.Equal(t, ida[0], s.LostIDs[0].ID)
	require.Equal(t, "purged before it was deleted", s.LostIDs[0].Reason)
	require.Equal(t, idb[0], s.LostIDs[1].ID)
	require.Equal(t, "expired before it was deleted", s.LostIDs[1].Reason)
}

func TestObserveIsSafeConcurrently(t *testing.T) {
	l := NewWithClock(func() time.Time { return epoch.Add(time.Hour) })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := fmt.Sprintf("m-%d-%d", g, i)
				l.Observe(sqsemu.Event{Kind: sqsemu.EventSent, Queue: "q", MessageID: id, At: epoch, SentAt: epoch, VisibleAt: epoch})
				l.Observe(sqsemu.Event{Kind: sqsemu.EventReceived, Queue: "q", MessageID: id, At: epoch.Add(time.Second), ReceiveCount: 1, VisibleAt: epoch.Add(time.Minute)})
				if i%100 != 0 {
					l.Observe(sqsemu.Event{Kind: sqsemu.EventDeleted, Queue: "q", MessageID: id, At: epoch.Add(2 * time.Second)})
				}
			}
		})
	}
	wg.Wait()
	s := l.Summary()
	require.Equal(t, Counts{Sent: 4000, Processed: 3960, Lost: 40}, s.Counts)
	require.Len(t, s.LostIDs, 40)
	require.Equal(t, time.Second, s.QueueWait.Max)
	require.Equal(t, time.Second, s.TimeInService.P99)
}

func TestSummarizeIsPure(t *testing.T) {
	lives := []Life{
		{ID: "b", Queue: "q", SentAt: epoch, Receives: 1, FirstReceive: epoch, LastReceive: epoch, VisibleAt: epoch.Add(time.Second)},
		{ID: "a", Queue: "q", SentAt: epoch, Receives: 1, FirstReceive: epoch, LastReceive: epoch, VisibleAt: epoch.Add(time.Second)},
	}
	before := Summarize(lives, epoch)
	require.Equal(t, Counts{Sent: 2, InFlight: 2}, before.Counts)
	after := Summarize(lives, epoch.Add(time.Second))
	require.Equal(t, Counts{Sent: 2, Lost: 2}, after.Counts)
	require.Equal(t, "a", after.LostIDs[0].ID, "same send time: ordered by id")
	require.Equal(t, before, Summarize(lives, epoch))
}

func TestHTTPEndpointServesTheSummary(t *testing.T) {
	e := newEnv(t)
	url := e.queue("jobs", nil)
	e.sendN(url, 3)
	e.consume(url, time.Millisecond, func(body string) bool { return body != "1" })
	e.clock.Advance(time.Minute)

	httpc := &http.Client{}
	defer httpc.CloseIdleConnections()
	get := func(method, path string) (*http.Response, []byte) {
		req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, nil)
		require.NoError(t, err)
		resp, err := httpc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, body
	}
	resp, body := get(http.MethodGet, Path+"?lives=1")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var got struct {
		Sent, Processed, Lost int
		LostIDs               []LostMessage `json:"lost_ids"`
		Lives                 []Life
	}
	require.NoError(t, json.Unmarshal(body, &got), string(body))
	require.Equal(t, 3, got.Sent)
	require.Equal(t, 2, got.Processed)
	require.Equal(t, 1, got.Lost)
	require.Len(t, got.LostIDs, 1)
	require.Len(t, got.Lives, 3)

	resp, _ = get(http.MethodPost, Path)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestSinceLeavesOutMessagesSentBefore(t *testing.T) {
	e := newEnv(t)
	url := e.queue("jobs", nil)
	e.sendN(url, 2) // the warm-up: lost, but before the window
	e.consume(url, time.Millisecond, func(string) bool { return false })
	e.clock.Advance(time.Minute)
	since := e.clock.Now()
	e.sendN(url, 3)
	e.consume(url, time.Millisecond, all)

	require.Equal(t, 5, e.l.Summary().Sent)
	got := Summarize(SentSince(e.l.Lives(), since), e.clock.Now())
	require.Equal(t, 3, got.Sent)
	require.Equal(t, 3, got.Processed)
	require.Zero(t, got.Lost)

	httpc := &http.Client{}
	defer httpc.CloseIdleConnections()
	for _, tc := range []struct {
		query string
		code  int
		sent  int
	}{
		{"?since=" + since.Format(time.RFC3339Nano), http.StatusOK, 3},
		{"", http.StatusOK, 5},
		{"?since=yesterday", http.StatusBadRequest, 0},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+Path+tc.query, nil)
		require.NoError(t, err)
		resp, err := httpc.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, tc.code, resp.StatusCode, tc.query+": "+string(body))
		if tc.code == http.StatusOK {
			var s Summary
			require.NoError(t, json.Unmarshal(body, &s))
			require.Equal(t, tc.sent, s.Sent, tc.query)
		}
	}
}
