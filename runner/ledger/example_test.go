package ledger_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// A team's test attaches the ledger to the embedded server, lets its own
// consumer run against it, and asks the ledger what became of every
// message. Here the "consumer" deletes one message and forgets the other.
func Example() {
	clock := sqsemu.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := ledger.NewWithClock(clock.Now)
	srv := sqsemu.NewServer(append(ledger.ServerOptions(l), sqsemu.WithClock(clock))...)
	defer srv.Close()
	ctx, c := context.Background(), srv.Client()

	q, _ := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "30"}})
	for _, body := range []string{"a", "b"} {
		_, _ = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
	}
	clock.Advance(2 * time.Second)
	got, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	clock.Advance(time.Second)
	_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle})

	s := l.Summary()
	fmt.Printf("sent %d, processed %d, in flight %d, lost %d\n", s.Sent, s.Processed, s.InFlight, s.Lost)
	clock.Advance(30 * time.Second) // the forgotten message's visibility timeout runs out
	s = l.Summary()
	fmt.Printf("sent %d, processed %d, in flight %d, lost %d (%s)\n", s.Sent, s.Processed, s.InFlight, s.Lost, s.LostIDs[0].Reason)
	fmt.Printf("queue wait p50 %v, time in service max %v\n", s.QueueWait.P50, s.TimeInService.Max)
	// Output:
	// sent 2, processed 1, in flight 1, lost 0
	// sent 2, processed 1, in flight 0, lost 1 (visibility timeout ran out after a receive, without delete or release)
	// queue wait p50 2s, time in service max 1s
}
