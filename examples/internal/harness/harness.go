// Package harness is what the example consumers' tests share: an
// embedded SQS server with the ledger attached, the three queues of the
// service's design (export-jobs and download-tasks, both redriving to a
// dead-letter queue), jobs in the service's format, and waiting on the
// ledger. It is what a team's own test of its consumer would look like.
package harness

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// Env is a running server with its ledger and queues.
type Env struct {
	t      testing.TB
	Server *sqsemu.Server
	Ledger *ledger.Ledger
	Client *sqs.Client
	// JobsURL, TasksURL and DLQURL are export-jobs, download-tasks and
	// the dead-letter queue.
	JobsURL, TasksURL, DLQURL string
}

// Queues configures the queues Start creates.
type Queues struct {
	VisibilityTimeout int // seconds
	MaxReceiveCount   int // before redrive to the dead-letter queue
}

// Start starts a server with the ledger and creates the queues; Close
// runs at the test's cleanup.
func Start(t testing.TB, q Queues) *Env {
	l := ledger.New()
	srv := sqsemu.NewServer(ledger.ServerOptions(l)...)
	t.Cleanup(srv.Close)
	e := &Env{t: t, Server: srv, Ledger: l, Client: srv.Client()}
	e.DLQURL = e.create("dlq", nil)
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:dlq","maxReceiveCount":"%d"}`, sqsemu.DefaultRegion, sqsemu.DefaultAccount, q.MaxReceiveCount)
	attrs := map[string]string{"VisibilityTimeout": strconv.Itoa(q.VisibilityTimeout), "RedrivePolicy": redrive}
	e.JobsURL = e.create("export-jobs", attrs)
	e.TasksURL = e.create("download-tasks", attrs)
	return e
}

func (e *Env) create(name string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.Client.CreateQueue(e.t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		e.t.Fatalf("creating queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// ConsumerEnv is the environment a consumer reads, with the names the
// service in service/ uses (service/config.go, service/cmd/service), plus
// extra KEY=VALUE entries.
func (e *Env) ConsumerEnv(extra ...string) []string {
	return append([]string{
		"AWS_ENDPOINT_URL_SQS=" + e.Server.URL,
		"AWS_REGION=" + sqsemu.DefaultRegion,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"SQS_EXPORT_JOBS_URL=" + e.JobsURL,
		"SQS_DOWNLOAD_TASKS_URL=" + e.TasksURL,
		"SQS_DLQ_URL=" + e.DLQURL,
	}, extra...)
}

// Job and Task are the service's message formats (service/api.go),
// written out here so the examples depend on nothing in service/.
type Job struct {
	JobID   string `json:"job_id"`
	Tasks   []Task `json:"tasks"`
	Payload string `json:"payload,omitempty"`
}

// Task is one download task.
type Task struct {
	TaskID  string `json:"task_id"`
	JobID   string `json:"job_id"`
	URL     string `json:"url,omitempty"`
	Size    int    `json:"size,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
}

// SendJobs sends n jobs of tasks tasks each to export-jobs, as the
// runner's load does, and returns the message id of each job id.
func (e *Env) SendJobs(n, tasks int) map[string]string {
	e.t.Helper()
	ids := make(map[string]string, n)
	for start := 0; start < n; start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, n); i++ {
			job := Job{JobID: fmt.Sprintf("job-%05d", i)}
			for k := range tasks {
				job.Tasks = append(job.Tasks, Task{TaskID: fmt.Sprintf("%s-t%d", job.JobID, k), JobID: job.JobID, URL: "https://example.com/" + job.JobID, Size: 1024})
			}
			body, err := json.Marshal(job)
			if err != nil {
				e.t.Fatal(err)
			}
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(job.JobID), MessageBody: aws.String(string(body))})
		}
		out, err := e.Client.SendMessageBatch(e.t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(e.JobsURL), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			e.t.Fatalf("sending jobs: %v %v", err, out)
		}
		for _, s := range out.Successful {
			ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
		}
	}
	return ids
}

// SendRaw sends one message with body to export-jobs and returns its id.
func (e *Env) SendRaw(body string) string {
	e.t.Helper()
	out, err := e.Client.SendMessage(e.t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(e.JobsURL), MessageBody: aws.String(body)})
	if err != nil {
		e.t.Fatalf("sending: %v", err)
	}
	return aws.ToString(out.MessageId)
}

// WaitFor polls the ledger until cond holds, failing the test with the
// last summary and what after timeout. alive, if set, fails the wait
// early with its error (e.g. the consumer exited).
func (e *Env) WaitFor(what string, timeout time.Duration, alive func() error, cond func(ledger.Summary) bool) ledger.Summary {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := e.Ledger.Summary()
		if cond(s) {
			return s
		}
		if alive != nil {
			if err := alive(); err != nil {
				e.t.Fatalf("waiting for %s: the consumer stopped: %v; ledger: %+v", what, err, s.Counts)
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("waiting for %s: not reached in %v; ledger: %+v, lost %v", what, timeout, s.Counts, s.LostIDs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Dropped tells whether a consumer run with DROP_ONE_IN=n drops the job
// jobID: FNV-1a (32-bit) of the id, mixed by MurmurHash3's finaliser so
// similar ids spread, modulo n, is 0. The consumers implement the same
// function, so a test knows the exact ids to expect.
func Dropped(jobID string, n int) bool {
	if n <= 0 {
		return false
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(jobID))
	x := h.Sum32()
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x%uint32(n) == 0
}
