package service

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// faultySQS wraps an SQSAPI and fails calls on demand, before or after
// they reach SQS (an error after the call models a lost response: the
// effect happened, the caller cannot know).
type faultySQS struct {
	SQSAPI
	mu sync.Mutex
	// fail decides per call; nil passes everything through.
	fail func(op string, call int64) (err error, afterCall bool)
	// calls counts calls per operation and queue URL.
	calls map[string]int64
	seq   atomic.Int64
	// bogusVisibilityReceipts makes every visibility change name a receipt
	// handle SQS does not know, as when a lease was lost.
	bogusVisibilityReceipts atomic.Bool
}

func newFaultySQS(inner SQSAPI) *faultySQS {
	return &faultySQS{SQSAPI: inner, calls: map[string]int64{}}
}

func (f *faultySQS) setFail(fn func(op string, call int64) (error, bool)) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

func (f *faultySQS) callCount(op, url string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op+" "+url]
}

func (f *faultySQS) before(op, url string) (error, bool) {
	n := f.seq.Add(1)
	f.mu.Lock()
	f.calls[op+" "+url]++
	fail := f.fail
	f.mu.Unlock()
	if fail == nil {
		return nil, false
	}
	return fail(op, n)
}

func throttled() error {
	return &smithy.GenericAPIError{Code: "RequestThrottled", Message: "injected throttling", Fault: smithy.FaultClient}
}

func serverError() error {
	return &smithy.GenericAPIError{Code: "InternalError", Message: "injected 500", Fault: smithy.FaultServer}
}

func call[In, Out any](f *faultySQS, op, url string, ctx context.Context, in In, next func(context.Context, In, ...func(*sqs.Options)) (Out, error)) (Out, error) {
	err, after := f.before(op, url)
	if err != nil && !after {
		var zero Out
		return zero, err
	}
	out, callErr := next(ctx, in)
	if err != nil && callErr == nil {
		var zero Out
		return zero, err
	}
	return out, callErr
}

func (f *faultySQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return call(f, "receive", *in.QueueUrl, ctx, in, f.SQSAPI.ReceiveMessage)
}

func (f *faultySQS) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return call(f, "delete", *in.QueueUrl, ctx, in, f.SQSAPI.DeleteMessageBatch)
}

func (f *faultySQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return call(f, "send", *in.QueueUrl, ctx, in, f.SQSAPI.SendMessage)
}

func (f *faultySQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return call(f, "send-batch", *in.QueueUrl, ctx, in, f.SQSAPI.SendMessageBatch)
}

func (f *faultySQS) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	if f.bogusVisibilityReceipts.Load() {
		mangled := *in
		mangled.Entries = append([]types.ChangeMessageVisibilityBatchRequestEntry(nil), in.Entries...)
		for i := range mangled.Entries {
			mangled.Entries[i].ReceiptHandle = aws.String("bogus-" + aws.ToString(mangled.Entries[i].ReceiptHandle))
		}
		in = &mangled
	}
	return call(f, "visibility", *in.QueueUrl, ctx, in, f.SQSAPI.ChangeMessageVisibilityBatch)
}
