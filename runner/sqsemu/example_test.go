package sqsemu_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// A test starts a server as it would an httptest.Server, talks to it with
// the AWS SDK's own client, and closes it; Close returns once none of the
// server's goroutines is left.
func ExampleNewServer() {
	srv := sqsemu.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()

	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		log.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil {
		log.Fatal(err)
	}
	m := out.Messages[0]
	fmt.Println(aws.ToString(m.Body))
	// A received message stays in flight until it is deleted.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
		log.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("left:", attrs.Attributes["ApproximateNumberOfMessages"])
	// Output:
	// hello
	// left: 0
}

// NewClient is the client for a server started elsewhere, such as
// 'runner sqs serve -addr 127.0.0.1:9324' or another process's
// Server.URL: static test credentials, no shared config or instance
// metadata lookups.
func ExampleNewClient() {
	srv := sqsemu.NewServer(sqsemu.WithRegion("eu-west-1"))
	defer srv.Close()
	ctx := context.Background()

	c := sqsemu.NewClient(srv.URL, "eu-west-1")
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tasks")}); err != nil {
		log.Fatal(err)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(list.QueueUrls), "queue")
	// Output: 1 queue
}
