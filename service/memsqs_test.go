package service

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// memSQS is a minimal in-memory SQSAPI without HTTP, used to measure the
// pipeline's own cost apart from the SDK and the server. It has no
// visibility timeouts: a received message is gone until deleted (deletes
// are only counted), which is enough for runs without failures.
type memSQS struct {
	mu      sync.Mutex
	ready   chan struct{}
	queues  map[string][]string
	seq     atomic.Int64
	deleted atomic.Int64
	sent    atomic.Int64
}

func newMemSQS() *memSQS {
	return &memSQS{queues: map[string][]string{}, ready: make(chan struct{})}
}

func (m *memSQS) put(url string, bodies ...string) {
	m.mu.Lock()
	m.queues[url] = append(m.queues[url], bodies...)
	close(m.ready)
	m.ready = make(chan struct{})
	m.mu.Unlock()
}

var memAttributes = map[string]string{
	string(types.MessageSystemAttributeNameApproximateReceiveCount): "1",
	string(types.MessageSystemAttributeNameSentTimestamp):           "1700000000000",
}

func (m *memSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	url := aws.ToString(in.QueueUrl)
	wait := time.NewTimer(time.Duration(in.WaitTimeSeconds) * time.Second)
	defer wait.Stop()
	for {
		m.mu.Lock()
		q := m.queues[url]
		if len(q) > 0 {
			n := min(len(q), int(in.MaxNumberOfMessages))
			out := &sqs.ReceiveMessageOutput{Messages: make([]types.Message, n)}
			for i := range n {
				id := strconv.FormatInt(m.seq.Add(1), 10)
				out.Messages[i] = types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String(id), Body: aws.String(q[i]), Attributes: memAttributes}
			}
			m.queues[url] = q[n:]
			m.mu.Unlock()
			return out, nil
		}
		ready := m.ready
		m.mu.Unlock()
		select {
		case <-ready:
		case <-wait.C:
			return &sqs.ReceiveMessageOutput{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *memSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	out := &sqs.DeleteMessageBatchOutput{Successful: make([]types.DeleteMessageBatchResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		out.Successful[i].Id = e.Id
	}
	m.deleted.Add(int64(len(in.Entries)))
	return out, nil
}

func (m *memSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	m.put(aws.ToString(in.QueueUrl), aws.ToString(in.MessageBody))
	m.sent.Add(1)
	return &sqs.SendMessageOutput{MessageId: aws.String("x")}, nil
}

func (m *memSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{Successful: make([]types.SendMessageBatchResultEntry, len(in.Entries))}
	bodies := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		bodies[i] = aws.ToString(e.MessageBody)
		out.Successful[i].Id = e.Id
	}
	m.put(aws.ToString(in.QueueUrl), bodies...)
	m.sent.Add(int64(len(in.Entries)))
	return out, nil
}

func (m *memSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	out := &sqs.ChangeMessageVisibilityBatchOutput{Successful: make([]types.ChangeMessageVisibilityBatchResultEntry, len(in.Entries))}
	for i, e := range in.Entries {
		out.Successful[i].Id = e.Id
	}
	return out, nil
}
