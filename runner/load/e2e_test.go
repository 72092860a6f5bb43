package load_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
	"github.com/sqsperf/sqsperf/service"
)

// TestEndToEndThroughTheEmbeddedServer sends a load through the real SDK
// to the embedded server, receives every message back, and lets the
// collector account for each task: nothing sent may be missing, nothing
// received may be unknown.
func TestEndToEndThroughTheEmbeddedServer(t *testing.T) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("export-jobs")})
	require.NoError(t, err)

	const jobs, tasksPerJob = 250, 3
	coll := collect.New()
	var batchesSent []int
	st, err := load.Run(ctx, client, aws.ToString(q.QueueUrl), load.Plan{
		Jobs: jobs, TasksPerJob: tasksPerJob, Batches: 2, BatchInterval: 10 * time.Millisecond,
		Senders: 4, Payload: 1024, JobIDPrefix: "e2e-", Seed: 7,
	}, coll, load.Hooks{BatchSent: func(b int) { batchesSent = append(batchesSent, b) }})
	require.NoError(t, err)
	assert.Equal(t, jobs, st.JobsSent)
	assert.Zero(t, st.Unsent)
	assert.Equal(t, []int{0, 1}, batchesSent)
	assert.Equal(t, jobs*tasksPerJob, coll.Progress().Sent)

	received := 0
	for received < jobs && ctx.Err() == nil {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp},
		})
		require.NoError(t, err)
		for _, m := range out.Messages {
			var job service.ExportJob
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &job))
			assert.Len(t, job.Payload, 1024)
			now := time.Now()
			coll.Observe(service.Event{Kind: service.Received, Queue: "jobs", JobID: job.JobID, ReceivedAt: now, SentAt: now, At: now})
			for _, task := range job.Tasks {
				coll.Observe(service.Event{Kind: service.Finished, JobID: job.JobID, TaskID: task.TaskID, StartedAt: now, At: now})
			}
			_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
			received++
		}
	}
	assert.Equal(t, jobs, received)
	require.True(t, coll.Done(), "every task sent came back")
	_, acct := coll.Result(time.Now(), time.Now())
	assert.Zero(t, acct.Lost)
	assert.Zero(t, acct.Duplicates)
	assert.Equal(t, jobs*tasksPerJob, acct.Processed)
	assert.Zero(t, coll.Foreign(), "nothing came back that was not sent")
}

// BenchmarkSendToEmbeddedServer measures how fast the driver can put jobs
// on a queue of the embedded server, so that a scenario's arrival rate is
// known to be within reach of the driver.
func BenchmarkSendToEmbeddedServer(b *testing.B) {
	srv := sqsemu.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := b.Context()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-jobs")})
	require.NoError(b, err)
	b.ResetTimer()
	st, err := load.Run(ctx, client, aws.ToString(q.QueueUrl), load.Plan{Jobs: max(b.N, 1), TasksPerJob: 10, Senders: 4, Payload: 256}, collect.New(), load.Hooks{})
	require.NoError(b, err)
	b.StopTimer()
	b.ReportMetric(float64(st.JobsSent)/st.Elapsed.Seconds(), "jobs/s")
	b.ReportMetric(float64(st.JobsSent)/float64(st.Calls), "jobs/call")
}
