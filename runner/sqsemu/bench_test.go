package sqsemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// BenchmarkSendReceiveDelete moves messages end to end through the SDK
// over loopback HTTP: each operation is one SendMessageBatch of 10, one
// ReceiveMessage of up to 10 and one DeleteMessageBatch, the loop of a
// batching consumer. It runs in parallel (GOMAXPROCS goroutines by
// default, -cpu to change), as a service runs several pollers; client
// and server share the machine, so the figure is the cost of both.
func BenchmarkSendReceiveDelete(b *testing.B) {
	srv := NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := b.Context()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	url := out.QueueUrl
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(fmt.Sprintf(`{"job":"bench","task":%d,"payload":"0123456789abcdef0123456789abcdef"}`, i))}
	}
	var moved atomic.Int64
	// Several pollers per core, as a consumer runs them: one goroutine per
	// core would leave the cores idle during each round trip.
	b.SetParallelism(4)
	cpuBefore := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		del := make([]types.DeleteMessageBatchRequestEntry, 0, 10)
		for pb.Next() {
			n, _, ok := sendReceiveDelete(ctx, b, c, url, entries, &del)
			if !ok {
				return
			}
			moved.Add(int64(n))
		}
	})
	b.StopTimer()
	reportThroughput(b, moved.Load(), processCPU()-cpuBefore)
}

// sendReceiveDelete is one round of the benchmarks' loop: a batch sent,
// one receive of up to ten, those deleted in a batch. It returns the
// messages deleted and the requests made; ok is false after an error
// (already reported).
func sendReceiveDelete(ctx context.Context, b *testing.B, c *sqs.Client, url *string, entries []types.SendMessageBatchRequestEntry, del *[]types.DeleteMessageBatchRequestEntry) (moved, requests int, ok bool) {
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
		b.Error(err)
		return 0, 1, false
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10})
	if err != nil {
		b.Error(err)
		return 0, 2, false
	}
	if len(got.Messages) == 0 {
		return 0, 2, true
	}
	*del = (*del)[:0]
	for i, m := range got.Messages {
		*del = append(*del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	res, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: *del})
	if err != nil {
		b.Error(err)
		return 0, 3, false
	}
	return len(res.Successful), 3, true
}

// reportThroughput reports wall-clock messages per second and, because
// a shared machine's wall clock says as much about the neighbours as
// about this code, the process CPU time per message (client and server
// together) and the rate that CPU cost allows per core.
func reportThroughput(b *testing.B, msgs int64, cpu time.Duration) {
	if msgs == 0 {
		return
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
	perMsg := cpu.Seconds() / float64(msgs)
	b.ReportMetric(perMsg*1e6, "cpu-µs/msg")
	b.ReportMetric(1/perMsg, "msgs/cpu-s")
}

// benchResponseWriter is a reusable http.ResponseWriter for the handler
// benchmarks.
type benchResponseWriter struct {
	hdr  http.Header
	code int
	body bytes.Buffer
}

func (w *benchResponseWriter) reset() {
	if w.hdr == nil {
		w.hdr = make(http.Header)
	}
	clear(w.hdr)
	w.code = 0
	w.body.Reset()
}

func (w *benchResponseWriter) Header() http.Header { return w.hdr }

func (w *benchResponseWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchResponseWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandlerSendReceiveDelete is the emulator's own cost: the same
// send-batch/receive/delete-batch loop as BenchmarkSendReceiveDelete,
// calling the http.Handler directly with prepared request bodies, so no
// SDK, no sockets. It shows how much headroom the emulator leaves. The
// requests and the response recorder are built by hand and reused:
// httptest.NewRequest parses a whole HTTP request (and allocates a 4 KiB
// reader) each time, which was most of what this benchmark measured.
func BenchmarkHandlerSendReceiveDelete(b *testing.B) {
	h := New()
	defer h.Close()
	var w benchResponseWriter
	body := bytes.NewReader(nil)
	req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}, Host: "127.0.0.1:9324",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: io.NopCloser(body),
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {""}}}
	req = req.WithContext(context.Background())
	targets := map[string][]string{}
	do := func(action string, payload []byte) []byte {
		t, ok := targets[action]
		if !ok {
			t = []string{"AmazonSQS." + action}
			targets[action] = t
		}
		req.Header["X-Amz-Target"] = t
		body.Reset(payload)
		req.ContentLength = int64(len(payload))
		w.reset()
		h.ServeHTTP(&w, req)
		if w.code != http.StatusOK {
			b.Fatalf("%s: %d %s", action, w.code, w.body.String())
		}
		return w.body.Bytes()
	}
	do("CreateQueue", []byte(`{"QueueName":"bench"}`))
	const url = `"QueueUrl":"http://127.0.0.1:9324/000000000000/bench"`
	var send bytes.Buffer
	send.WriteString(`{` + url + `,"Entries":[`)
	for i := 0; i < 10; i++ {
		if i > 0 {
			send.WriteByte(',')
		}
		fmt.Fprintf(&send, `{"Id":"%d","MessageBody":"{\"job\":\"bench\",\"task\":%d,\"payload\":\"0123456789abcdef0123456789abcdef\"}"}`, i, i)
	}
	send.WriteString(`]}`)
	receive := []byte(`{` + url + `,"MaxNumberOfMessages":10}`)
	marker := []byte(`"ReceiptHandle":"`)
	var moved int64
	var del bytes.Buffer
	cpuBefore := processCPU()
	b.ReportAllocs()
	for b.Loop() {
		do("SendMessageBatch", send.Bytes())
		got := do("ReceiveMessage", receive)
		del.Reset()
		del.WriteString(`{` + url + `,"Entries":[`)
		n := 0
		for {
			at := bytes.Index(got, marker)
			if at < 0 {
				break
			}
			got = got[at+len(marker):]
			end := bytes.IndexByte(got, '"')
			if n > 0 {
				del.WriteByte(',')
			}
			fmt.Fprintf(&del, `{"Id":"%d","ReceiptHandle":"%s"}`, n, got[:end])
			n++
		}
		del.WriteString(`]}`)
		if n > 0 {
			do("DeleteMessageBatch", del.Bytes())
			moved += int64(n)
		}
	}
	b.StopTimer()
	reportThroughput(b, moved, processCPU()-cpuBefore)
}

// BenchmarkDeepQueue receives and deletes one message at a time from a
// queue that already holds `depth` visible and `depth` in-flight
// messages. The cost per operation should not grow with depth: deadlines
// sit in a heap and nothing scans every message.
func BenchmarkDeepQueue(b *testing.B) {
	for _, depth := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) { benchmarkDeepQueue(b, depth) })
	}
}

func benchmarkDeepQueue(b *testing.B, depth int) {
	clock := NewFakeClock(epoch)
	h := New(WithClock(clock))
	defer h.Close()
	do := func(action, body string) []byte {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9324/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", action, rec.Code, rec.Body.String())
		}
		return rec.Body.Bytes()
	}
	do("CreateQueue", `{"QueueName":"deep"}`)
	const url = `"QueueUrl":"/000000000000/deep"`
	q := h.lookup("deep")
	fill := func(n int) {
		now := clock.Now()
		q.mu.Lock()
		defer q.mu.Unlock()
		for i := 0; i < n; i++ {
			q.enqueueLocked(&message{id: h.newMessageID(), body: "x", md5Body: md5Hex("x"), sentAt: now}, 0, now)
		}
	}
	fill(depth)
	q.mu.Lock()
	q.takeLocked(clock.Now(), depth, time.Hour, 0) // in flight for an hour
	q.mu.Unlock()
	// b.Loop does not say in advance how many iterations it will run,
	// so the visible messages are topped up a chunk at a time, outside
	// the timer, whenever the next receive would take the queue below
	// depth: it holds depth to depth+chunk visible throughout, instead
	// of depth+b.N at the start.
	chunk := max(depth, 1000)
	fill(depth + chunk)
	left := chunk
	runtime.GC()
	b.ReportAllocs()
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			fill(chunk)
			left = chunk
			b.StartTimer()
		}
		left--
		got := do("ReceiveMessage", `{`+url+`}`)
		at := bytes.Index(got, []byte(`"ReceiptHandle":"`)) + len(`"ReceiptHandle":"`)
		end := at + bytes.IndexByte(got[at:], '"')
		do("DeleteMessage", `{`+url+`,"ReceiptHandle":"`+string(got[at:end])+`"}`)
	}
}
