package sqsbackend_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// Open with no kind starts the embedded server (in a child process when
// the executable serves it, see ServeChildIfRequested; in-process
// otherwise). CreateQueues makes the work queues with dead-letter
// redrive, and Close removes everything.
func ExampleOpen_embedded() {
	ctx := context.Background()
	b, err := sqsbackend.Open(ctx, sqsbackend.Config{Prefix: "example-"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(ctx)

	q, err := b.CreateQueues(ctx, sqsbackend.QueueSpec{
		Jobs: "export-jobs", Tasks: "download-tasks", DeadLetter: "export-dlq",
		VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 3,
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := b.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.Jobs), MessageBody: aws.String("job 1")}); err != nil {
		log.Fatal(err)
	}
	out, err := b.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), WaitTimeSeconds: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Kind, q.Names["export-jobs"], aws.ToString(out.Messages[0].Body))
	// Output: embedded example-export-jobs job 1
}

// The localstack kind starts LocalStack (SQS only) through
// testcontainers and needs a Docker engine; CheckDocker says whether one
// answers, with an error that tells the user what to do. LocalStack
// images from 4.15 on need LOCALSTACK_AUTH_TOKEN in the environment.
// Close terminates the container. (No Output: it needs Docker.)
func ExampleOpen_localstack() {
	ctx := context.Background()
	if err := sqsbackend.CheckDocker(ctx); err != nil {
		log.Print(err) // wraps sqsbackend.ErrDockerUnavailable
		return
	}
	b, err := sqsbackend.Open(ctx, sqsbackend.Config{Kind: sqsbackend.LocalStack, Image: sqsbackend.DefaultLocalStackImage})
	if b != nil {
		defer b.Close(context.Background()) // registered before the error check: a half-started container is removed too
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("LocalStack's SQS answers at", b.Endpoint)
}

// The endpoint kind talks to any SQS endpoint: a URL, or else
// AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL and the SDK's resolution (real
// AWS). Queue names get a prefix unique to the run, and Close deletes
// only the queues this backend created.
func ExampleOpen_endpoint() {
	ctx := context.Background()
	b, err := sqsbackend.Open(ctx, sqsbackend.Config{Kind: sqsbackend.Endpoint, Endpoint: "http://127.0.0.1:9324"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(ctx)
	fmt.Println("queues will be named", b.Prefix+"export-jobs")
}
