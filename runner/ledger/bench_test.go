package ledger

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// BenchmarkServerWithLedger is the server's own send-batch / receive /
// delete-batch loop (handler called directly, no sockets), without and
// with the ledger observing: the difference is what accounting costs.
func BenchmarkServerWithLedger(b *testing.B) {
	for _, mode := range []string{"none", "ledger"} {
		b.Run(mode, func(b *testing.B) {
			var opts []sqsemu.Option
			if mode == "ledger" {
				opts = ServerOptions(New())
			}
			h := sqsemu.New(opts...)
			defer h.Close()
			do := func(action string, body []byte) []byte {
				req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9324/", bytes.NewReader(body))
				req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", action, rec.Code, rec.Body.String())
				}
				return rec.Body.Bytes()
			}
			do("CreateQueue", []byte(`{"QueueName":"bench"}`))
			const url = `"QueueUrl":"http://127.0.0.1:9324/000000000000/bench"`
			var send bytes.Buffer
			send.WriteString(`{` + url + `,"Entries":[`)
			for i := range 10 {
				if i > 0 {
					send.WriteByte(',')
				}
				fmt.Fprintf(&send, `{"Id":"%d","MessageBody":"task %d"}`, i, i)
			}
			send.WriteString(`]}`)
			receive := []byte(`{` + url + `,"MaxNumberOfMessages":10}`)
			marker := []byte(`"ReceiptHandle":"`)
			b.ReportAllocs()
			for b.Loop() {
				do("SendMessageBatch", send.Bytes())
				got := do("ReceiveMessage", receive)
				var del bytes.Buffer
				del.WriteString(`{` + url + `,"Entries":[`)
				n := 0
				for at := bytes.Index(got, marker); at >= 0; at = bytes.Index(got, marker) {
					got = got[at+len(marker):]
					end := bytes.IndexByte(got, '"')
					if n > 0 {
						del.WriteByte(',')
					}
					fmt.Fprintf(&del, `{"Id":"%d","ReceiptHandle":"%s"}`, n, got[:end])
					n++
				}
				del.WriteString(`]}`)
				do("DeleteMessageBatch", del.Bytes())
			}
		})
	}
}

// BenchmarkLedgerBytesPerMessage reports the heap the ledger keeps per
// message after its whole life (sent, received twice, deleted).
func BenchmarkLedgerBytesPerMessage(b *testing.B) {
	const n = 100_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "0123456789abcdef-" + strconv.Itoa(i) // SQS ids are 36 bytes; close enough
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := New()
		for _, id := range ids {
			l.Observe(sqsemu.Event{Kind: sqsemu.EventSent, Queue: "q", MessageID: id, At: epoch, SentAt: epoch})
			l.Observe(sqsemu.Event{Kind: sqsemu.EventReceived, Queue: "q", MessageID: id, At: epoch, ReceiveCount: 1})
			l.Observe(sqsemu.Event{Kind: sqsemu.EventReceived, Queue: "q", MessageID: id, At: epoch, ReceiveCount: 2})
			l.Observe(sqsemu.Event{Kind: sqsemu.EventDeleted, Queue: "q", MessageID: id, At: epoch})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/msg")
		runtime.KeepAlive(l)
	}
}
