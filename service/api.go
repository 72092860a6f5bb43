// Package service is the SQS consumer under test: export jobs arrive on one
// queue, are split into download tasks, and run on a bounded worker pool;
// tasks that do not fit overflow to a second queue that the same service
// consumes; failures retry through the visibility timeout and end on a
// dead-letter queue. Nothing is ever lost.
//
// The service knows nothing of the runner. Observers receive Events; the
// work of a task is a Handler that a user can replace.
package service

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ExportJob is the body of a message on the export-jobs queue.
type ExportJob struct {
	JobID string `json:"job_id"`
	Tasks []Task `json:"tasks"`
	// Payload pads the message to a configured size; it is opaque.
	Payload string `json:"payload,omitempty"`
}

// Task is one download task. On the download-tasks queue it is the whole
// message body.
type Task struct {
	TaskID string `json:"task_id"`
	JobID  string `json:"job_id"`
	URL    string `json:"url,omitempty"`
	// Size is the simulated payload size in bytes (0: the handler's default).
	Size int `json:"size,omitempty"`
	// Attempt counts in-process attempts before the task was handed to
	// download-tasks; SQS's ApproximateReceiveCount counts the rest.
	Attempt int `json:"attempt,omitempty"`
}

// Handler does the work of one task. It must honour ctx: the service
// cancels it on shutdown past the deadline. A returned error fails the
// task (it is retried through SQS); a panic is recovered and counted as a
// worker crash.
type Handler interface {
	Handle(ctx context.Context, t Task) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, t Task) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, t Task) error { return f(ctx, t) }

var _ Handler = HandlerFunc(nil)

// EventKind names a point in a message's life.
type EventKind uint8

const (
	// Received: a message (job or task) was received from SQS.
	// MessageID, Queue, SentAt, ReceivedAt, ReceiveCount are set; for a
	// job JobID is set, for a task message JobID and TaskID.
	Received EventKind = iota + 1
	// Started: a worker started a task.
	Started
	// Finished: a task's handler returned nil.
	Finished
	// Failed: a task's handler returned an error (Err is set). The task
	// will be retried through SQS or dead-lettered.
	Failed
	// Crashed: a task's handler panicked (Err holds the panic); the worker
	// was replaced and the task treated as failed.
	Crashed
	// Overflowed: a task did not fit the internal queue and was durably
	// sent to the download-tasks queue.
	Overflowed
	// Acked: a message was deleted from its queue. ReadyAt is when it
	// became deletable (all its tasks finished or handed off).
	Acked
	// DeadLettered: the service itself sent a message to the dead-letter
	// queue (an invalid message; Err holds the reason). Messages that SQS
	// redrives after maxReceiveCount do not produce this event: the
	// runner finds them on the dead-letter queue.
	DeadLettered
	// Released: on shutdown an unfinished message was made visible again.
	Released
)

var eventNames = [...]string{"", "received", "started", "finished", "failed", "crashed", "overflowed", "acked", "dead-lettered", "released"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one observation. Times are wall-clock with monotonic readings
// where the service took them itself; SentAt comes from SQS's
// SentTimestamp (millisecond precision).
type Event struct {
	Kind      EventKind
	Queue     string // "jobs" or "tasks"
	MessageID string // SQS message id of the carrying message
	JobID     string
	TaskID    string
	// ReceiveCount is SQS's ApproximateReceiveCount of the carrying message.
	ReceiveCount int
	SentAt       time.Time
	ReceivedAt   time.Time
	StartedAt    time.Time // Started, Finished, Failed, Crashed
	ReadyAt      time.Time // Acked
	At           time.Time // when the event happened
	Err          error
}

// Observer receives events. It is called synchronously from the service's
// goroutines, concurrently, so it must be quick and safe for concurrent
// use. A nil Observer costs nothing.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f.
func (f ObserverFunc) Observe(e Event) { f(e) }

// SQSAPI is the part of the SQS client the service uses. *sqs.Client
// satisfies it; tests and fault injection can wrap it.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

var _ SQSAPI = (*sqs.Client)(nil)
