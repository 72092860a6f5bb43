package service

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// maxBatch is SQS's limit on entries per batch call.
const maxBatch = 10

// batchIDs are the entry ids of a batch: its indexes, shared so that
// building a batch does not allocate them.
var batchIDs = func() (ids [maxBatch]*string) {
	for i := range ids {
		ids[i] = aws.String(strconv.Itoa(i))
	}
	return ids
}()

// batchIndex maps an entry id back to its index in the batch.
func batchIndex(id *string, n int) (int, bool) {
	s := aws.ToString(id)
	if len(s) == 1 && s[0] >= '0' && int(s[0]-'0') < n {
		return int(s[0] - '0'), true
	}
	return 0, false
}

// batcher gathers items into batches of up to 10 and flushes them with
// bounded parallelism. A full input channel blocks producers, which is how
// an SQS outage turns into backpressure instead of unbounded memory.
type batcher[T any] struct {
	in       chan T
	linger   time.Duration
	parallel int
	flush    func(ctx context.Context, batch []T)
}

func newBatcher[T any](linger time.Duration, parallel int, flush func(context.Context, []T)) *batcher[T] {
	return &batcher[T]{in: make(chan T, 256), linger: linger, parallel: parallel, flush: flush}
}

// submit queues an item; it returns false if ctx ended first.
func (b *batcher[T]) submit(ctx context.Context, item T) bool {
	select {
	case b.in <- item:
		return true
	default:
	}
	select {
	case b.in <- item:
		return true
	case <-ctx.Done():
		return false
	}
}

// run flushes until in is closed and drained, or until stop ends (a
// crash: pending items are dropped). Flushes use flushCtx.
func (b *batcher[T]) run(stop, flushCtx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, b.parallel)
	var linger *time.Timer
	for {
		var first T
		select {
		case item, ok := <-b.in:
			if !ok {
				return
			}
			first = item
		case <-stop.Done():
			return
		}
		batch := make([]T, 1, maxBatch)
		batch[0] = first
		closed := false
	fill:
		for len(batch) < maxBatch {
			select {
			case item, ok := <-b.in:
				if !ok {
					closed = true
					break fill
				}
				batch = append(batch, item)
				continue
			default:
			}
			// Nothing ready: wait briefly for a fuller batch, since one
			// call for ten messages costs about what one call for one does.
			if linger == nil {
				linger = time.NewTimer(b.linger)
			} else {
				linger.Reset(b.linger)
			}
			select {
			case item, ok := <-b.in:
				if !ok {
					closed = true
					break fill
				}
				batch = append(batch, item)
			case <-linger.C:
				break fill
			case <-stop.Done():
				return
			}
		}
		if linger != nil {
			linger.Stop()
		}
		select {
		case sem <- struct{}{}:
		case <-stop.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			b.flush(flushCtx, batch)
		})
		if closed {
			return
		}
	}
}

// deleteBatch deletes messages of one queue, retrying transient failures.
// Deleted messages leave the lease registry and produce an Acked event.
func (s *Service) deleteBatch(ctx context.Context, q queueKind, batch []*message) {
	url := s.queueURL(q)
	entries := make([]types.DeleteMessageBatchRequestEntry, len(batch))
	for i, m := range batch {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: batchIDs[i], ReceiptHandle: m.receipt}
	}
	b := newBackoff()
	for len(entries) > 0 {
		var out *sqs.DeleteMessageBatchOutput
		err := retry(ctx, s.sqsError("delete messages"), func(ctx context.Context) error {
			var err error
			out, err = s.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("deleting messages failed; they stay leased and will be released or delivered again", "queue", q.String(), "messages", len(entries), "err", err)
			}
			return
		}
		now := time.Now()
		for _, ok := range out.Successful {
			if i, ok := batchIndex(ok.Id, len(batch)); ok {
				s.acked(batch[i], now)
			}
		}
		var again []types.DeleteMessageBatchRequestEntry
		for _, f := range out.Failed {
			i, ok := batchIndex(f.Id, len(batch))
			if !ok {
				continue
			}
			if code := aws.ToString(f.Code); lostLease(code) || f.SenderFault {
				if s.leases.remove(batch[i]) {
					s.stats.leasesLost.Add(1)
				}
				s.log.Warn("could not delete a processed message; it will be delivered again", "queue", q.String(), "message_id", batch[i].id, "code", code)
				continue
			}
			again = append(again, entries[i])
		}
		if len(again) == 0 || !sleepCtx(ctx, b.next()) {
			return
		}
		entries = again
	}
}

func (s *Service) acked(m *message, now time.Time) {
	s.leases.remove(m)
	s.stats.acked.Add(1)
	if s.observer != nil {
		s.observer.Observe(Event{
			Kind: Acked, Queue: m.queue.String(), MessageID: m.id, JobID: m.jobID, TaskID: m.taskID,
			ReceiveCount: m.receiveCount, SentAt: m.sentAt, ReceivedAt: m.receivedAt, ReadyAt: m.readyAt, At: now,
		})
	}
}

// handoff is a task on its way to the tasks queue: overflow from a full
// internal queue, or a job task that failed and is retried through SQS.
type handoff struct {
	item     *workItem
	overflow bool
}

// sendBatch sends tasks to the tasks queue. Each task counts as settled
// for its job only once SQS has accepted it, so a job is never deleted
// while one of its tasks exists nowhere but in memory.
func (s *Service) sendBatch(ctx context.Context, batch []handoff) {
	entries := make([]types.SendMessageBatchRequestEntry, 0, len(batch))
	for i, h := range batch {
		body, err := encodeTask(h.item.task)
		if err != nil {
			// A decoded task always encodes; keep the job alive so SQS
			// redelivers it rather than losing the task.
			s.log.Error("encoding a task failed", "job_id", h.item.task.JobID, "task_id", h.item.task.TaskID, "err", err)
			s.abandonJob(h.item.job)
			continue
		}
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: batchIDs[i], MessageBody: aws.String(body)})
	}
	b := newBackoff()
	for len(entries) > 0 {
		var out *sqs.SendMessageBatchOutput
		err := retry(ctx, s.sqsError("send tasks"), func(ctx context.Context) error {
			var err error
			out, err = s.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.cfg.TasksQueueURL, Entries: entries})
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("handing tasks to the tasks queue failed; their jobs will be delivered again", "tasks", len(entries), "err", err)
				for _, e := range entries {
					if i, ok := batchIndex(e.Id, len(batch)); ok {
						s.abandonJob(batch[i].item.job)
					}
				}
			}
			return
		}
		now := time.Now()
		for _, ok := range out.Successful {
			if i, ok := batchIndex(ok.Id, len(batch)); ok {
				s.handedOff(batch[i], now)
			}
		}
		var again []types.SendMessageBatchRequestEntry
		for _, f := range out.Failed {
			i, ok := batchIndex(f.Id, len(batch))
			if !ok {
				continue
			}
			if f.SenderFault {
				s.log.Error("the tasks queue refused a task; its job will be delivered again", "job_id", batch[i].item.task.JobID, "task_id", batch[i].item.task.TaskID, "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
				s.abandonJob(batch[i].item.job)
				continue
			}
			for _, e := range entries {
				if aws.ToString(e.Id) == aws.ToString(f.Id) {
					again = append(again, e)
				}
			}
		}
		if len(again) == 0 || !sleepCtx(ctx, b.next()) {
			return
		}
		entries = again
	}
}

func (s *Service) handedOff(h handoff, now time.Time) {
	w := h.item
	if h.overflow {
		s.stats.overflowed.Add(1)
		if s.observer != nil {
			m := w.msg
			s.observer.Observe(Event{
				Kind: Overflowed, Queue: m.queue.String(), MessageID: m.id, JobID: w.task.JobID, TaskID: w.task.TaskID,
				ReceiveCount: m.receiveCount, SentAt: m.sentAt, ReceivedAt: m.receivedAt, At: now,
			})
		}
	}
	s.settle(w.job)
}
