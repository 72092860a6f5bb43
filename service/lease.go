package service

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queueKind tells the two consumed queues apart.
type queueKind uint8

const (
	jobsQueue queueKind = iota
	tasksQueue
)

func (k queueKind) String() string {
	if k == jobsQueue {
		return "jobs"
	}
	return "tasks"
}

// message is one received SQS message the service holds a lease on.
type message struct {
	queue        queueKind
	id           string
	receipt      *string // kept as the SDK returned it: batch entries take a pointer
	body         string
	jobID        string
	taskID       string
	receiveCount int
	sentAt       time.Time
	receivedAt   time.Time
	// readyAt is when the message became deletable; set before it is
	// handed to a deleter, read after the delete.
	readyAt time.Time
	// expires is guarded by leases.mu.
	expires time.Time
}

// leases tracks every message whose lease the service holds, so the
// heartbeat can extend them and a shutdown can release them. A message
// leaves it when it is deleted, handed back to SQS for a retry, released,
// or its lease is found lost.
type leases struct {
	mu   sync.Mutex
	held map[*message]struct{}
}

func newLeases() *leases { return &leases{held: make(map[*message]struct{})} }

func (l *leases) add(m *message, expires time.Time) {
	l.mu.Lock()
	m.expires = expires
	l.held[m] = struct{}{}
	l.mu.Unlock()
}

// remove reports whether m was still held.
func (l *leases) remove(m *message) bool {
	l.mu.Lock()
	_, ok := l.held[m]
	delete(l.held, m)
	l.mu.Unlock()
	return ok
}

func (l *leases) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// due returns, per queue, the held messages whose lease ends within
// horizon of now.
func (l *leases) due(now time.Time, horizon time.Duration) (byQueue [2][]*message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for m := range l.held {
		if m.expires.Sub(now) < horizon {
			byQueue[m.queue] = append(byQueue[m.queue], m)
		}
	}
	return byQueue
}

// takeAll empties the registry and returns what it held, per queue.
func (l *leases) takeAll() (byQueue [2][]*message) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for m := range l.held {
		byQueue[m.queue] = append(byQueue[m.queue], m)
	}
	clear(l.held)
	return byQueue
}

// extended records a successful heartbeat if m is still held.
func (l *leases) extended(m *message, expires time.Time) {
	l.mu.Lock()
	if _, ok := l.held[m]; ok && expires.After(m.expires) {
		m.expires = expires
	}
	l.mu.Unlock()
}

// lostLease reports whether a failed visibility change means SQS no longer
// considers the message ours: a retry cannot bring the lease back.
func lostLease(code string) bool {
	switch code {
	case "ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
		"InvalidParameterValue", "ReceiptHandleIsInvalidException":
		return true
	}
	return false
}

// heartbeat extends the leases of held messages before they lapse. It
// ticks four times per visibility timeout and extends any lease with less
// than three quarters of the timeout left, so a lease is renewed with at
// least half the timeout to spare: a slow or retried call on a loaded
// machine still lands in time.
func (s *Service) heartbeat(ctx context.Context) {
	period := s.visibility / 4
	horizon := s.visibility * 3 / 4
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		due := s.leases.due(time.Now(), horizon)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for q, msgs := range due {
			for start := 0; start < len(msgs); start += 10 {
				batch := msgs[start:min(start+10, len(msgs))]
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					s.changeVisibility(ctx, queueKind(q), batch, s.visibility, true)
				})
			}
		}
		wg.Wait()
	}
}

// changeVisibility sets the visibility of up to 10 messages, retrying
// throttling and transient errors until ctx ends. With extend set, success
// moves each still-held lease's expiry; an entry whose lease is gone is
// dropped from the registry and counted.
func (s *Service) changeVisibility(ctx context.Context, q queueKind, batch []*message, visibility time.Duration, extend bool) (changed [maxBatch]bool) {
	seconds := wholeSeconds(visibility)
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(batch))
	for i, m := range batch {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                batchIDs[i],
			ReceiptHandle:     m.receipt,
			VisibilityTimeout: seconds,
		}
	}
	url := s.queueURL(q)
	for len(entries) > 0 {
		start := time.Now()
		var out *sqs.ChangeMessageVisibilityBatchOutput
		err := retry(ctx, s.sqsError("change message visibility"), func(ctx context.Context) error {
			var err error
			out, err = s.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: entries})
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("changing message visibility failed; the leases may lapse and the messages be delivered again", "queue", q.String(), "messages", len(entries), "err", err)
			}
			return changed
		}
		for _, ok := range out.Successful {
			if i, ok := batchIndex(ok.Id, len(batch)); ok {
				changed[i] = true
				if extend {
					s.leases.extended(batch[i], start.Add(visibility))
				}
			}
		}
		var again []types.ChangeMessageVisibilityBatchRequestEntry
		for _, f := range out.Failed {
			i, ok := batchIndex(f.Id, len(batch))
			if !ok {
				continue
			}
			code := aws.ToString(f.Code)
			if lostLease(code) || f.SenderFault {
				if extend && s.leases.remove(batch[i]) {
					s.stats.leasesLost.Add(1)
					s.log.Warn("lost the lease on a message; it will be delivered again", "queue", q.String(), "message_id", batch[i].id, "code", code)
				}
				continue
			}
			again = append(again, entries[i])
		}
		if len(again) == 0 || !sleepCtx(ctx, 50*time.Millisecond) {
			return changed
		}
		entries = again
		// Renumbering is unnecessary: the ids still index batch.
	}
	return changed
}
