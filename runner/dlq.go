package runner

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsperf/sqsperf/runner/collect"
)

// dlqDeleteTimeout bounds one delete of received dead-letter messages.
const dlqDeleteTimeout = 5 * time.Second

// dlqAPI is what the drainer needs of SQS.
type dlqAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// dlqDrainer consumes the dead-letter queue during a run and hands every
// body to the current collector, so that dead-lettered tasks count as
// accounted for as soon as they land (and not only at the end). Bodies are
// recorded before they are deleted: a crash in between can only count a
// message twice, never lose it, and the collector counts ids as a set.
type dlqDrainer struct {
	api    dlqAPI
	url    string
	target atomic.Pointer[collect.Collector]
}

func newDLQDrainer(api dlqAPI, url string) *dlqDrainer { return &dlqDrainer{api: api, url: url} }

// start drains the queue in the background until the returned stop is
// called (stop waits for the drainer; it is safe to call twice).
func (d *dlqDrainer) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx) }()
	return func() { cancel(); <-done }
}

func (d *dlqDrainer) run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.receive(ctx, 1)
		if err != nil && ctx.Err() == nil {
			// The backend is struggling (or faults are injected on
			// purpose): back off briefly instead of spinning.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		_ = n
	}
}

// drainRemaining empties the queue after the service stopped: it stops at
// the first empty short poll, which on SQS may leave stragglers (they are
// then reported as lost, never hidden). ctx (the teardown budget) bounds it.
func (d *dlqDrainer) drainRemaining(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.receive(ctx, 0)
		if err != nil || n == 0 {
			return
		}
	}
}

func (d *dlqDrainer) receive(ctx context.Context, waitSeconds int32) (int, error) {
	out, err := d.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(d.url),
		MaxNumberOfMessages: 10,
		WaitTimeSeconds:     waitSeconds,
		VisibilityTimeout:   30,
	})
	if err != nil {
		return 0, err
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	bodies := make([]string, 0, len(out.Messages))
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
	for i, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if c := d.target.Load(); c != nil {
		c.AddDeadLettered(bodies)
	}
	// The bodies are recorded: the delete must not be cut by the end of
	// the drain (the message would come back and count twice), but it is
	// bounded, as an endpoint may have stopped answering.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dlqDeleteTimeout)
	defer cancel()
	_, err = d.api.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(d.url), Entries: entries})
	return len(out.Messages), err
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
