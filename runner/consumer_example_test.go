package runner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// deleteAll is a team's own consumer in its simplest form: receive a
// batch of jobs, do the work, delete them; stop when ctx ends.
func deleteAll(ctx context.Context, client *sqs.Client, q sqsbackend.Queues) error {
	for ctx.Err() == nil {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.Jobs, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped mid-poll: nothing was received
			}
			return err
		}
		for _, m := range out.Messages {
			// ... the team's work on m.Body ...
			if _, err := client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: &q.Jobs, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return err
			}
		}
	}
	return nil
}

// A Go team runs its own consumer under the runner, in-process under go
// test: no adoption of the built-in service's handler interface, with
// the runtime probes, and every message accounted for by the SQS server.
func ExampleRunConsumer() {
	sc, err := scenario.Parse("my-consumer.yaml", []byte(`
load: {jobs: 20, tasks_per_job: 4}
thresholds: [server.lost == 0, p99(server.time_in_service) < 5s]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := runner.RunConsumer(context.Background(), sc, runner.Options{}, deleteAll)
	if err != nil {
		fmt.Println(err)
		return
	}
	run := res.Cases[0].Runs[0]
	fmt.Println("jobs sent:", run.Server.Sent, "processed:", run.Server.Processed, "lost:", run.Server.Lost)
	_, measured := run.Metrics["sched.latency.p99"]
	fmt.Println("runtime probes measured:", measured)
	// Output:
	// jobs sent: 20 processed: 20 lost: 0
	// runtime probes measured: true
}

func TestRunConsumerThatFailsIsAnEnvironmentError(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("load: {jobs: 20}\ntimeout: 20s\n"))
	require.NoError(t, err)
	broken := func(ctx context.Context, client *sqs.Client, q sqsbackend.Queues) error {
		for ctx.Err() == nil {
			out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.Jobs, WaitTimeSeconds: 1})
			if err != nil {
				return err
			}
			if len(out.Messages) > 0 {
				return errors.New("cannot parse " + aws.ToString(out.Messages[0].MessageId))
			}
		}
		return nil
	}
	_, err = runner.RunConsumer(t.Context(), sc, runner.Options{}, broken)
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "the consumer returned during the run: cannot parse")
}

// TestRunConsumerThatHoldsAMessageIsReported: a consumer that keeps a
// message invisible and stops without releasing it is named: the run
// times out, and the message is in flight after the stop.
func TestRunConsumerThatHoldsAMessageIsReported(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte("load: {jobs: 10}\ntimeout: 3s\nservice: {shutdown_timeout: 1s}\n"))
	require.NoError(t, err)
	held := false
	holdOne := func(ctx context.Context, client *sqs.Client, q sqsbackend.Queues) error {
		for ctx.Err() == nil {
			out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.Jobs, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				return nil
			}
			for _, m := range out.Messages {
				if !held {
					held = true
					_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.Jobs, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 600})
					if err != nil {
						return err
					}
					continue
				}
				if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.Jobs, ReceiptHandle: m.ReceiptHandle}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	res, err := runner.RunConsumer(t.Context(), sc, runner.Options{}, holdOne)
	require.NoError(t, err)
	run := res.Cases[0].Runs[0]
	require.NotNil(t, run.Server)
	assert.Equal(t, 1, run.Server.InFlight)
	assert.Equal(t, 9, run.Server.Processed)
	assert.Equal(t, 1.0, run.Metrics["server.in_flight"])
	joined := strings.Join(run.Errors, "\n")
	assert.Contains(t, joined, "timeout: the SQS server did not see every message processed")
	assert.Contains(t, joined, "1 messages were still in flight after the consumer stopped")
}
