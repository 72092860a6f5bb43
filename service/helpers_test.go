package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is an embedded SQS server with the three queues the service uses,
// both consumed queues redriving to the dead-letter queue.
type env struct {
	srv                       *sqsemu.Server
	client                    *sqs.Client
	jobsURL, tasksURL, dlqURL string
}

type envOptions struct {
	jobsMaxReceives, tasksMaxReceives int
}

func newEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	if opts.jobsMaxReceives == 0 {
		opts.jobsMaxReceives = 10
	}
	if opts.tasksMaxReceives == 0 {
		opts.tasksMaxReceives = 5
	}
	srv := sqsemu.NewServer()
	t.Cleanup(srv.Close)
	e := &env{srv: srv, client: srv.Client()}
	ctx := context.Background()
	create := func(name string, attrs map[string]string) string {
		out, err := e.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		require.NoError(t, err)
		return aws.ToString(out.QueueUrl)
	}
	e.dlqURL = create("dead-letters", map[string]string{"MaximumMessageSize": "1048576"})
	arn := e.arn(t, e.dlqURL)
	redrive := func(n int) string {
		return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, n)
	}
	e.jobsURL = create("export-jobs", map[string]string{"RedrivePolicy": redrive(opts.jobsMaxReceives), "MaximumMessageSize": "1048576"})
	e.tasksURL = create("download-tasks", map[string]string{"RedrivePolicy": redrive(opts.tasksMaxReceives)})
	return e
}

func (e *env) arn(t testing.TB, url string) string {
	out, err := e.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	return out.Attributes["QueueArn"]
}

func (e *env) config(cfg Config) Config {
	cfg.JobsQueueURL, cfg.TasksQueueURL, cfg.DeadLetterQueueURL = e.jobsURL, e.tasksURL, e.dlqURL
	return cfg
}

// counts returns visible + in flight + delayed messages of a queue.
func (e *env) counts(t testing.TB, url string) (visible, inFlight int) {
	out, err := e.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	require.NoError(t, err)
	atoi := func(k string) int {
		n, err := strconv.Atoi(out.Attributes[k])
		require.NoError(t, err, k)
		return n
	}
	return atoi("ApproximateNumberOfMessages") + atoi("ApproximateNumberOfMessagesDelayed"), atoi("ApproximateNumberOfMessagesNotVisible")
}

func (e *env) sendBodies(t testing.TB, url string, bodies ...string) {
	t.Helper()
	for start := 0; start < len(bodies); start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
		}
		out, err := e.client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		require.NoError(t, err)
		require.Empty(t, out.Failed)
	}
}

func (e *env) sendJobs(t testing.TB, jobs ...ExportJob) {
	t.Helper()
	bodies := make([]string, len(jobs))
	for i, j := range jobs {
		b, err := json.Marshal(j)
		require.NoError(t, err)
		bodies[i] = string(b)
	}
	e.sendBodies(t, e.jobsURL, bodies...)
}

// drainDLQ receives (and deletes) everything on the dead-letter queue.
func (e *env) drainDLQ(t testing.TB) []types.Message {
	var all []types.Message
	for {
		out, err := e.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.dlqURL), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
		})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			_, err := e.client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.dlqURL), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
		all = append(all, out.Messages...)
	}
}

func makeJob(id string, tasks int) ExportJob {
	j := ExportJob{JobID: id}
	for i := range tasks {
		j.Tasks = append(j.Tasks, Task{TaskID: fmt.Sprintf("%s-t%03d", id, i)})
	}
	return j
}

// recorder keeps every event and wakes waiters on each one.
type recorder struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Observe(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// waitFor blocks until cond holds over the events or the timeout passes.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, cond func([]Event) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.events)
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

func count(events []Event, kind EventKind, match func(Event) bool) int {
	n := 0
	for _, e := range events {
		if e.Kind == kind && (match == nil || match(e)) {
			n++
		}
	}
	return n
}

// finishedTasks counts Finished events per job/task id.
func finishedTasks(events []Event) map[string]int {
	done := map[string]int{}
	for _, e := range events {
		if e.Kind == Finished {
			done[e.JobID+"/"+e.TaskID]++
		}
	}
	return done
}

// running is a started service; stop shuts it down gracefully.
type running struct {
	svc    *Service
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, e *env, cfg Config) *running {
	t.Helper()
	return startWith(t, e.client, e, cfg)
}

func startWith(t testing.TB, client SQSAPI, e *env, cfg Config) *running {
	t.Helper()
	svc, err := New(client, e.config(cfg))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of the shutdown signal")
		return nil
	}
}

func (r *running) kill(t testing.TB) error {
	t.Helper()
	r.svc.Kill()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of Kill")
		return nil
	}
}

// blockingHandler blocks every task until release is closed (or its
// context ends) and reports starts on started.
type blockingHandler struct {
	release chan struct{}
	started chan Task
}

func newBlockingHandler() *blockingHandler {
	return &blockingHandler{release: make(chan struct{}), started: make(chan Task, 10_000)}
}

func (h *blockingHandler) Handle(ctx context.Context, t Task) error {
	h.started <- t
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
