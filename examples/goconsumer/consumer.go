// Package goconsumer is a minimal SQS consumer that does not use the
// service in service/: its own poll loops, its own bounded worker pool.
// It has the same design (export jobs fanned out into download tasks,
// overflow to download-tasks, retries through the visibility timeout,
// a dead-letter queue by redrive, graceful shutdown), the same
// environment variables and the same message formats, so the runner's
// load drives it unchanged. Its test shows how a team accounts for its
// own consumer from the SQS server's view (runner/ledger).
//
// Run it with `go run ./examples/goconsumer/cmd/goconsumer`.
package goconsumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Job is the body of an export-jobs message (as service.ExportJob).
type Job struct {
	JobID   string `json:"job_id"`
	Tasks   []Task `json:"tasks"`
	Payload string `json:"payload,omitempty"`
}

// Task is one download task; on download-tasks it is the whole body.
type Task struct {
	TaskID  string `json:"task_id"`
	JobID   string `json:"job_id"`
	URL     string `json:"url,omitempty"`
	Size    int    `json:"size,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
}

// Config is read from the environment by ConfigFromEnv.
type Config struct {
	JobsURL, TasksURL string
	Workers           int           // WORKER_POOL_SIZE
	MaxQueue          int           // MAX_QUEUE_SIZE: tasks waiting for a worker
	WaitTime          int32         // SQS_WAIT_TIME: long-poll seconds
	Visibility        int32         // SQS_VISIBILITY_TIMEOUT seconds (0: the queue's)
	Shutdown          time.Duration // SHUTDOWN_TIMEOUT: how long queued work may finish
	TaskIOWait        time.Duration // TASK_IO_WAIT: simulated download time
	// DropOneIn (DROP_ONE_IN) makes the consumer deliberately broken: it
	// forgets every job whose id Dropped selects, never deleting it nor
	// giving it back. Tests use it to show the ledger finds the ids.
	DropOneIn int
}

// ConfigFromEnv reads the configuration; each error names the variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{JobsURL: getenv("SQS_EXPORT_JOBS_URL"), TasksURL: getenv("SQS_DOWNLOAD_TASKS_URL"),
		Workers: 4, MaxQueue: 8, WaitTime: 1, Shutdown: 10 * time.Second}
	var errs []error
	for name, v := range map[string]string{"SQS_EXPORT_JOBS_URL": cfg.JobsURL, "SQS_DOWNLOAD_TASKS_URL": cfg.TasksURL} {
		if u, err := url.Parse(v); v == "" || err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want the queue URL, e.g. http://127.0.0.1:9324/000000000000/export-jobs", name, v))
		}
	}
	intVar := func(name string, dst *int, lo int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo {
				errs = append(errs, fmt.Errorf("%s=%q: want a whole number >= %d", name, v, lo))
				return
			}
			*dst = n
		}
	}
	durVar := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 500ms or 10s", name, v))
				return
			}
			*dst = d
		}
	}
	var wait, vis = int(cfg.WaitTime), 0
	intVar("WORKER_POOL_SIZE", &cfg.Workers, 1)
	intVar("MAX_QUEUE_SIZE", &cfg.MaxQueue, 0)
	intVar("SQS_WAIT_TIME", &wait, 0)
	intVar("SQS_VISIBILITY_TIMEOUT", &vis, 0)
	intVar("DROP_ONE_IN", &cfg.DropOneIn, 0)
	durVar("SHUTDOWN_TIMEOUT", &cfg.Shutdown)
	durVar("TASK_IO_WAIT", &cfg.TaskIOWait)
	if wait > 20 {
		errs = append(errs, fmt.Errorf("SQS_WAIT_TIME=%d: SQS long polls last at most 20 seconds", wait))
	}
	cfg.WaitTime, cfg.Visibility = int32(min(wait, 20)), int32(min(vis, 43200))
	return cfg, errors.Join(errs...)
}

// NewClient builds an SQS client from AWS_ENDPOINT_URL_SQS, AWS_REGION
// and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, falling back to the SDK's
// default chain for what is not set. httpc may be nil (the SDK's).
func NewClient(ctx context.Context, getenv func(string) string, httpc *http.Client) (*sqs.Client, error) {
	var opts []func(*config.LoadOptions) error
	if r := getenv("AWS_REGION"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if k, s := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); k != "" && s != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(k, s, getenv("AWS_SESSION_TOKEN"))))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	endpoint := getenv("AWS_ENDPOINT_URL_SQS")
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if httpc != nil {
			o.HTTPClient = httpc
		}
	}), nil
}

// Dropped is harness.Dropped: FNV-1a of the job id, mixed by
// MurmurHash3's finaliser, modulo n is 0.
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

// tracked is one received message whose tasks are in the pool. It is
// deleted when the last task succeeds, released at once if a task was
// cut short by shutdown, and otherwise left to its visibility timeout
// (the retry) when a task failed.
type tracked struct {
	queueURL, handle string
	pending          atomic.Int32
	failed           atomic.Bool
	cut              atomic.Bool
}

type work struct {
	task Task
	msg  *tracked
}

// Consumer runs the poll loops and the pool.
type Consumer struct {
	c   *sqs.Client
	cfg Config
	log *slog.Logger
	// Processed counts tasks done; tests and logs read it.
	Processed atomic.Int64
}

// New returns a consumer; Run starts it.
func New(c *sqs.Client, cfg Config, log *slog.Logger) *Consumer {
	return &Consumer{c: c, cfg: cfg, log: log}
}

// Run consumes until ctx ends, then stops polling (after the current
// long poll, whose messages it still takes on), lets queued work
// finish for up to Shutdown, cuts the rest short, releases every message
// not finished (visibility 0) and returns.
func (s *Consumer) Run(ctx context.Context) error {
	pool := make(chan work, s.cfg.MaxQueue)
	workCtx, cutWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cutWork()
	var workers sync.WaitGroup
	for range s.cfg.Workers {
		workers.Go(func() {
			for w := range pool {
				s.finish(w.msg, s.do(workCtx, w.task))
			}
		})
	}
	var pollers sync.WaitGroup
	pollers.Go(func() { s.poll(ctx, s.cfg.JobsURL, pool, true) })
	pollers.Go(func() { s.poll(ctx, s.cfg.TasksURL, pool, false) })
	<-ctx.Done()
	pollers.Wait()
	close(pool)
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.Shutdown):
		s.log.Warn("shutdown timeout: cutting unfinished tasks short")
		cutWork()
		<-done
	}
	s.log.Info("stopped", "processed", s.Processed.Load())
	return nil
}

func (s *Consumer) do(ctx context.Context, t Task) error {
	if t.TaskID == "" {
		return errors.New("task without task_id")
	}
	if s.cfg.TaskIOWait > 0 {
		select {
		case <-time.After(s.cfg.TaskIOWait):
		case <-ctx.Done():
			return ctx.Err()
		}
	} else if ctx.Err() != nil {
		return ctx.Err()
	}
	s.Processed.Add(1)
	return nil
}

// finish settles one task of m.
func (s *Consumer) finish(m *tracked, err error) {
	if errors.Is(err, context.Canceled) {
		m.cut.Store(true)
	} else if err != nil {
		m.failed.Store(true)
	}
	if m.pending.Add(-1) > 0 {
		return
	}
	// Not ctx: these calls must run during shutdown too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case m.cut.Load():
		_, err = s.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &m.queueURL, ReceiptHandle: &m.handle, VisibilityTimeout: 0})
	case m.failed.Load():
		return // retried when its visibility timeout runs out
	default:
		_, err = s.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &m.queueURL, ReceiptHandle: &m.handle})
	}
	if err != nil {
		s.log.Error("settling a message", "queue", m.queueURL, "err", err)
	}
}

func (s *Consumer) poll(ctx context.Context, queueURL string, pool chan work, jobs bool) {
	for ctx.Err() == nil {
		max := int32(10)
		if !jobs {
			// Only take tasks there is room for: the rest stay on the queue.
			free := cap(pool) - len(pool)
			if free <= 0 {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			max = int32(min(free, 10))
		}
		in := &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: max, WaitTimeSeconds: s.cfg.WaitTime,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}}
		if s.cfg.Visibility > 0 {
			in.VisibilityTimeout = s.cfg.Visibility
		}
		// The receive itself is not cancelled by shutdown: a request cut
		// off while the server hands out messages would leave them in
		// flight until their timeout. Stopping waits for this long poll.
		out, err := s.c.ReceiveMessage(context.WithoutCancel(ctx), in)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("receive", "queue", queueURL, "err", err)
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		for _, m := range out.Messages {
			s.accept(queueURL, m, pool, jobs)
		}
	}
}

// accept fans a message out into the pool. An invalid message is left
// alone: the redrive policy moves it to the dead-letter queue after
// maxReceiveCount receives.
func (s *Consumer) accept(queueURL string, m types.Message, pool chan work, jobs bool) {
	body := aws.ToString(m.Body)
	var tasks []Task
	if jobs {
		var j Job
		if err := json.Unmarshal([]byte(body), &j); err != nil || j.JobID == "" {
			s.log.Warn("invalid job: left for the dead-letter queue", "id", aws.ToString(m.MessageId))
			return
		}
		if Dropped(j.JobID, s.cfg.DropOneIn) {
			return // the deliberate bug: neither deleted nor given back
		}
		tasks = j.Tasks
	} else {
		var t Task
		if err := json.Unmarshal([]byte(body), &t); err != nil || t.TaskID == "" {
			s.log.Warn("invalid task: left for the dead-letter queue", "id", aws.ToString(m.MessageId))
			return
		}
		tasks = []Task{t}
	}
	msg := &tracked{queueURL: queueURL, handle: aws.ToString(m.ReceiptHandle)}
	msg.pending.Store(1) // held until every task is placed
	var overflow []Task
	for _, t := range tasks {
		msg.pending.Add(1)
		if !jobs {
			pool <- work{task: t, msg: msg} // room was checked before receiving
			continue
		}
		select {
		case pool <- work{task: t, msg: msg}:
		default:
			msg.pending.Add(-1)
			overflow = append(overflow, t)
		}
	}
	for len(overflow) > 0 {
		n := min(len(overflow), 10)
		if err := s.handOff(overflow[:n]); err != nil {
			s.log.Error("overflow to download-tasks", "err", err)
			msg.failed.Store(true)
		}
		overflow = overflow[n:]
	}
	s.finish(msg, nil) // the placement's own +1
}

// handOff sends tasks that did not fit the pool to download-tasks; once
// sent they are that queue's, so the job does not wait for them.
func (s *Consumer) handOff(tasks []Task) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(tasks))
	for i, t := range tasks {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(b))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := s.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.cfg.TasksURL, Entries: entries})
	if err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("%d of %d tasks not sent: %s", len(out.Failed), len(tasks), aws.ToString(out.Failed[0].Message))
	}
	return nil
}
