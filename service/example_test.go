package service_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
	"github.com/sqsperf/sqsperf/service"
)

// Example runs one export job through the service on the embedded SQS
// server, with a handler of one's own.
func Example() {
	srv := sqsemu.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	url := func(name string) string {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			panic(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	jobs, tasks, dlq := url("export-jobs"), url("download-tasks"), url("dead-letters")

	jobDone := make(chan struct{})
	svc, err := service.New(client, service.Config{
		JobsQueueURL: jobs, TasksQueueURL: tasks, DeadLetterQueueURL: dlq,
		Workers: 2,
		Handler: service.HandlerFunc(func(ctx context.Context, t service.Task) error {
			return nil // download t.URL here
		}),
		Observer: service.ObserverFunc(func(e service.Event) {
			if e.Kind == service.Acked && e.Queue == "jobs" {
				close(jobDone) // the job message is deleted: all its tasks are done
			}
		}),
	})
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- svc.Run(runCtx) }()

	_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(jobs),
		MessageBody: aws.String(`{"job_id":"report-7","tasks":[{"task_id":"a"},{"task_id":"b"},{"task_id":"c"}]}`)})
	if err != nil {
		panic(err)
	}
	<-jobDone
	stop()
	fmt.Println("shutdown:", <-stopped)
	fmt.Println("tasks processed:", svc.Stats().Processed)
	// Output:
	// shutdown: <nil>
	// tasks processed: 3
}
