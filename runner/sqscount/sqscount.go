// Package sqscount counts the SQS requests a consumer makes, by action,
// and the message payload bytes it sends and receives. The counter is a
// middleware on the consumer's own SDK client, so the counts are the same
// on the embedded server, LocalStack and real SQS: they depend on how the
// consumer batches and polls, not on how fast the machine is. Requests per
// message is what the SQS bill is made of, and losing batching or polling
// harder multiplies it, which a count shows exactly where a timing does not.
package sqscount

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// Action groups SQS operations the way their cost is judged.
type Action int

const (
	Receive          Action = iota // ReceiveMessage that returned messages
	ReceiveEmpty                   // ReceiveMessage that returned none (idle polling)
	Delete                         // DeleteMessage, DeleteMessageBatch
	Send                           // SendMessage, SendMessageBatch
	ChangeVisibility               // ChangeMessageVisibility(Batch): heartbeats, retries
	Other                          // anything else (queue management)
	numActions
)

// Names are the metric suffixes of each action, in Action order.
var Names = [numActions]string{"receive", "receive_empty", "delete", "send", "change_visibility", "other"}

func (a Action) String() string {
	if a < 0 || a >= numActions {
		return "unknown"
	}
	return Names[a]
}

// Counts is a snapshot of a Counter.
type Counts struct {
	// Requests per action. A call the SDK retried counts once per
	// attempt, as SQS bills it.
	Requests [numActions]uint64
	// BytesSent and BytesReceived are message bodies plus string and
	// binary attribute values, as SQS sizes a message.
	BytesSent, BytesReceived uint64
	// MessagesSent and MessagesReceived count messages, not requests.
	MessagesSent, MessagesReceived uint64
	// Billable is the requests as SQS bills them: every attempt, and a
	// request whose payload is over 64 KiB once per 64 KiB chunk.
	Billable uint64
	// The largest batches the consumer asked for, over the counter's
	// life (not a window's: Sub keeps them): the most messages one
	// ReceiveMessage asked for (MaxNumberOfMessages; SQS's default is 1),
	// the most entries one delete or send call carried. How many messages
	// each request actually carried follows timing; the largest batch the
	// code ever makes does not, and a consumer that lost its batching
	// never makes one larger than 1.
	ReceiveAskedMax, DeleteBatchMax, SendBatchMax uint64
}

// Total is the number of requests of every action.
func (c Counts) Total() uint64 {
	var n uint64
	for _, r := range c.Requests {
		n += r
	}
	return n
}

// Sub returns c minus an earlier snapshot.
func (c Counts) Sub(before Counts) Counts {
	out := c
	for i := range out.Requests {
		out.Requests[i] -= before.Requests[i]
	}
	out.BytesSent -= before.BytesSent
	out.BytesReceived -= before.BytesReceived
	out.MessagesSent -= before.MessagesSent
	out.MessagesReceived -= before.MessagesReceived
	out.Billable -= before.Billable
	return out // the maxima stay c's
}

// Counter counts requests made through every client it is attached to.
// It is safe for concurrent use; the zero value is ready.
type Counter struct {
	requests                       [numActions]atomic.Uint64
	bytesSent, bytesReceived       atomic.Uint64
	messagesSent, messagesReceived atomic.Uint64
	billable                       atomic.Uint64
	receiveAsked, deleteBatch      atomic.Uint64
	sendBatch                      atomic.Uint64
}

// storeMax raises m to v if v is larger.
func storeMax(m *atomic.Uint64, v uint64) {
	for {
		cur := m.Load()
		if v <= cur || m.CompareAndSwap(cur, v) {
			return
		}
	}
}

// Snapshot reads the counts so far.
func (c *Counter) Snapshot() Counts {
	var out Counts
	for i := range out.Requests {
		out.Requests[i] = c.requests[i].Load()
	}
	out.BytesSent = c.bytesSent.Load()
	out.BytesReceived = c.bytesReceived.Load()
	out.MessagesSent = c.messagesSent.Load()
	out.MessagesReceived = c.messagesReceived.Load()
	out.Billable = c.billable.Load()
	out.ReceiveAskedMax = c.receiveAsked.Load()
	out.DeleteBatchMax = c.deleteBatch.Load()
	out.SendBatchMax = c.sendBatch.Load()
	return out
}

// Client returns a copy of base whose every call is counted. Options added
// later (a fault-injecting transport, say) keep the counter.
func (c *Counter) Client(base *sqs.Client) *sqs.Client {
	return sqs.New(base.Options(), c.Attach)
}

// Attach adds the counter to an SDK client's options:
// sqs.New(opts, counter.Attach) or sqs.NewFromConfig(cfg, counter.Attach).
func (c *Counter) Attach(o *sqs.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("sqsperf/sqscount",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				c.record(in.Parameters, out.Result, md, err)
				return out, md, err
			}), middleware.After)
	})
}

// record classifies one call. It runs once per call, after the SDK's
// retries, so the attempts are read from the call's metadata.
func (c *Counter) record(params, result any, md middleware.Metadata, err error) {
	attempts := uint64(1)
	if ar, ok := retry.GetAttemptResults(md); ok && len(ar.Results) > 0 {
		attempts = uint64(len(ar.Results))
	}
	action := Other
	var payload uint64
	switch in := params.(type) {
	case *sqs.ReceiveMessageInput:
		storeMax(&c.receiveAsked, uint64(max(1, in.MaxNumberOfMessages)))
		action = ReceiveEmpty
		if out, ok := result.(*sqs.ReceiveMessageOutput); ok && err == nil && len(out.Messages) > 0 {
			action = Receive
			c.messagesReceived.Add(uint64(len(out.Messages)))
			var n uint64
			for i := range out.Messages {
				n += receivedSize(&out.Messages[i])
			}
			c.bytesReceived.Add(n)
			payload = n
		}
	case *sqs.DeleteMessageInput:
		action = Delete
		storeMax(&c.deleteBatch, 1)
	case *sqs.DeleteMessageBatchInput:
		action = Delete
		storeMax(&c.deleteBatch, uint64(len(in.Entries)))
	case *sqs.ChangeMessageVisibilityInput, *sqs.ChangeMessageVisibilityBatchInput:
		action = ChangeVisibility
	case *sqs.SendMessageInput:
		action = Send
		storeMax(&c.sendBatch, 1)
		if err == nil {
			payload = sentSize(in.MessageBody, in.MessageAttributes)
			c.messagesSent.Add(1)
			c.bytesSent.Add(payload)
		}
	case *sqs.SendMessageBatchInput:
		action = Send
		storeMax(&c.sendBatch, uint64(len(in.Entries)))
		if out, ok := result.(*sqs.SendMessageBatchOutput); ok && err == nil {
			// At most ten entries: a nested scan, so that counting adds
			// no allocation to the service it measures.
			var n, msgs uint64
			for _, e := range in.Entries {
				for _, s := range out.Successful {
					if e.Id != nil && s.Id != nil && *e.Id == *s.Id {
						n += sentSize(e.MessageBody, e.MessageAttributes)
						msgs++
						break
					}
				}
			}
			c.messagesSent.Add(msgs)
			c.bytesSent.Add(n)
			payload = n
		}
	}
	c.requests[action].Add(attempts)
	chunks := max(uint64(1), (payload+billingChunk-1)/billingChunk)
	c.billable.Add(attempts - 1 + chunks)
}

// billingChunk: SQS bills each 64 KiB of a request's payload as a request.
const billingChunk = 64 << 10
