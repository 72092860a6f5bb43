package sqsemu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadResult is what a long-poll load run observed.
type loadResult struct {
	sent, received, duplicates, lost int
	elapsed                          time.Duration
	peakGoroutines                   int
	heapAfter                        uint64
}

// runLongPollLoad parks `pollers` long-polling receivers on one queue,
// then sends `batches` batches of 10 from `senders` goroutines while the
// pollers receive and delete. It waits until every message has been
// received and deleted, stops everything and reports what it saw.
func runLongPollLoad(t testing.TB, pollers, senders, batches int) loadResult {
	baseline := runtime.NumGoroutine()
	srv := NewServer()
	defer srv.Close() // for early failures; Close is idempotent
	c := srv.Client()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("load"),
		Attributes: map[string]string{"VisibilityTimeout": "120"}})
	require.NoError(t, err)
	url := out.QueueUrl

	var mu sync.Mutex
	seen := make(map[string]int, batches*10)
	var deleted atomic.Int64
	pollCtx, stopPolling := context.WithCancel(ctx)
	var pollWG sync.WaitGroup
	var pollErr atomic.Value
	for i := 0; i < pollers; i++ {
		pollWG.Add(1)
		go func() {
			defer pollWG.Done()
			for pollCtx.Err() == nil {
				got, err := c.ReceiveMessage(pollCtx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20})
				if err != nil {
					if pollCtx.Err() == nil {
						pollErr.Store(err)
					}
					return
				}
				if len(got.Messages) == 0 {
					continue
				}
				entries := make([]types.DeleteMessageBatchRequestEntry, len(got.Messages))
				mu.Lock()
				for i, m := range got.Messages {
					seen[aws.ToString(m.Body)]++
					entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				mu.Unlock()
				res, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: entries})
				if err != nil {
					pollErr.Store(err)
					return
				}
				deleted.Add(int64(len(res.Successful)))
			}
		}()
	}
	// Let the pollers park before traffic starts, so the run really has
	// `pollers` concurrent long polls.
	parkDeadline := time.Now().Add(60 * time.Second)
	for parked(srv.Handler, "load") < pollers && time.Now().Before(parkDeadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, pollers, parked(srv.Handler, "load"), "pollers parked")

	b, isBench := t.(*testing.B)
	if isBench {
		b.ResetTimer() // ns/op is then the time per batch of traffic
	}
	start := time.Now()
	var peak atomic.Int64
	peak.Store(int64(runtime.NumGoroutine()))
	var sendWG sync.WaitGroup
	var next atomic.Int64
	for s := 0; s < senders; s++ {
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			entries := make([]types.SendMessageBatchRequestEntry, 10)
			for {
				b := next.Add(1) - 1
				if b >= int64(batches) {
					return
				}
				for i := range entries {
					entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("m-%d-%d", b, i))}
				}
				if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
					pollErr.Store(err)
					return
				}
				for g := int64(runtime.NumGoroutine()); g > peak.Load(); {
					if peak.CompareAndSwap(peak.Load(), g) {
						break
					}
				}
			}
		}()
	}
	sendWG.Wait()
	want := int64(batches * 10)
	drainDeadline := time.Now().Add(2 * time.Minute)
	for deleted.Load() < want && time.Now().Before(drainDeadline) && pollErr.Load() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	if isBench {
		b.StopTimer()
	}
	stopPolling()
	pollWG.Wait()
	if err, _ := pollErr.Load().(error); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("a client call failed: %v", err)
	}

	res := loadResult{sent: int(want), elapsed: elapsed, peakGoroutines: int(peak.Load())}
	mu.Lock()
	for b := 0; b < batches; b++ {
		for i := 0; i < 10; i++ {
			n := seen[fmt.Sprintf("m-%d-%d", b, i)]
			switch {
			case n == 0:
				res.lost++
			case n > 1:
				res.duplicates += n - 1
			}
			res.received += n
		}
	}
	mu.Unlock()
	q := srv.Handler.lookup("load")
	q.mu.Lock()
	assert.Equal(t, 0, q.nVisible+q.nInflight+q.nDelayed, "queue drained")
	assert.Empty(t, q.byID, "no message kept after deletion")
	q.mu.Unlock()
	// The server sees a cancelled poll when the client drops its
	// connection, a moment after the client has returned.
	assert.Eventually(t, func() bool { return parked(srv.Handler, "load") == 0 }, 30*time.Second, 10*time.Millisecond,
		"receivers of cancelled polls are released")
	srv.Close()
	// Thousands of connection goroutines wind down after Close; wait for
	// them here, with a generous bound, so a leak shows as a failure of
	// this test rather than as noise for goleak.
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline+5 }, time.Minute, 20*time.Millisecond,
		"goroutines return to the baseline of %d after Close", baseline)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // once, at the end: not on a periodic path
	res.heapAfter = ms.HeapAlloc
	return res
}

func parked(h *Handler, name string) int {
	q := h.lookup(name)
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiters.Len()
}

// TestThousandLongPollsUnderBatchTraffic: 1,000 receivers parked at
// once while batches flow; nothing is lost, nothing is delivered twice
// (every message is deleted well within its visibility timeout), the
// queue ends empty and, through goleak in TestMain, no goroutine survives.
func TestThousandLongPollsUnderBatchTraffic(t *testing.T) {
	pollers, batches := 1000, 300
	if testing.Short() {
		pollers, batches = 100, 50
	}
	res := runLongPollLoad(t, pollers, 4, batches)
	assert.Equal(t, 0, res.lost, "lost messages")
	assert.Equal(t, 0, res.duplicates, "duplicate deliveries")
	assert.Equal(t, res.sent, res.received)
	t.Logf("%d pollers: %d messages in %v, peak %d goroutines, heap after %.1f MiB",
		pollers, res.sent, res.elapsed.Round(time.Millisecond), res.peakGoroutines, float64(res.heapAfter)/(1<<20))
}

// BenchmarkLongPollsUnderBatchTraffic measures the same load: b.N
// batches of 10 sent by 4 senders while 1,000 receivers long-poll.
func BenchmarkLongPollsUnderBatchTraffic(b *testing.B) {
	res := runLongPollLoad(b, 1000, 4, b.N)
	if res.lost > 0 {
		b.Fatalf("%d messages lost", res.lost)
	}
	b.ReportMetric(float64(res.sent)/res.elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(res.duplicates), "duplicates")
	b.ReportMetric(float64(res.peakGoroutines), "peak-goroutines")
	b.ReportMetric(float64(res.heapAfter)/(1<<20), "heap-MiB-after")
}
