package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ErrKilled is returned by Run after Kill.
var ErrKilled = errors.New("service: killed")

// ErrInjectedFailure is the error of a task attempt failed by FailureRate.
var ErrInjectedFailure = errors.New("injected task failure")

// PanicError is the Err of a Crashed event: a handler panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("task handler panicked: %v", e.Value) }

// injectedCrash is what CrashRate panics with.
type injectedCrash struct{}

func (injectedCrash) String() string { return "injected crash" }

// Message attributes set on messages the service dead-letters itself.
const (
	ReasonAttribute      = "reason"
	SourceQueueAttribute = "source-queue"
	MessageIDAttribute   = "original-message-id"
)

// Service consumes export jobs and download tasks. Create it with New and
// call Run once.
type Service struct {
	cfg        Config
	client     SQSAPI
	handler    Handler
	observer   Observer
	log        *slog.Logger
	visibility time.Duration // rounded up to whole seconds, as SQS counts

	sched   *scheduler
	leases  *leases
	jobSlot chan struct{}
	stats   counters

	jobDeletes  *batcher[*message]
	taskDeletes *batcher[*message]
	handoffs    *batcher[handoff]
	retryLater  *batcher[*message]

	started atomic.Bool
	// killCtx ends with Kill. Producers blocked on a full batcher wait on
	// it: only a kill may abandon what they hold.
	killCtx    context.Context
	killCancel context.CancelFunc
}

// jobRun tracks one job message whose tasks are in progress.
type jobRun struct {
	msg         *message
	outstanding atomic.Int32
	abandoned   atomic.Bool
}

// New checks cfg and returns a service that is not yet running.
func New(client SQSAPI, cfg Config) (*Service, error) {
	if client == nil {
		return nil, errors.New("service: the SQS client is nil")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		cfg:        cfg,
		client:     client,
		handler:    cfg.Handler,
		observer:   cfg.Observer,
		log:        cfg.Logger,
		visibility: time.Duration(wholeSeconds(cfg.VisibilityTimeout)) * time.Second,
		sched:      newScheduler(cfg.MaxQueueSize),
		leases:     newLeases(),
		jobSlot:    make(chan struct{}, cfg.MaxConcurrentJobs),
	}
	s.killCtx, s.killCancel = context.WithCancel(context.Background())
	for range cfg.MaxConcurrentJobs {
		s.jobSlot <- struct{}{}
	}
	const linger = 2 * time.Millisecond
	s.jobDeletes = newBatcher(linger, 4, func(ctx context.Context, b []*message) { s.deleteBatch(ctx, jobsQueue, b) })
	s.taskDeletes = newBatcher(linger, 4, func(ctx context.Context, b []*message) { s.deleteBatch(ctx, tasksQueue, b) })
	s.handoffs = newBatcher(linger, 4, s.sendBatch)
	s.retryLater = newBatcher(linger, 2, s.releaseLater)
	return s, nil
}

// releaseLater makes messages visible again after RetryDelay, each on the
// queue it came from: failed task messages, and the job messages of
// abandoned jobs or that the dead-letter queue refused. A receipt handle
// is only valid on its own queue.
func (s *Service) releaseLater(ctx context.Context, b []*message) {
	var jobs, tasks [maxBatch]*message
	nj, nt := 0, 0
	for _, m := range b {
		if m.queue == jobsQueue {
			jobs[nj] = m
			nj++
		} else {
			tasks[nt] = m
			nt++
		}
	}
	if nj > 0 {
		s.changeVisibility(ctx, jobsQueue, jobs[:nj], s.cfg.RetryDelay, false)
	}
	if nt > 0 {
		s.changeVisibility(ctx, tasksQueue, tasks[:nt], s.cfg.RetryDelay, false)
	}
}

func wholeSeconds(d time.Duration) int32 {
	return int32((d + time.Second - 1) / time.Second)
}

func (s *Service) queueURL(q queueKind) string {
	if q == jobsQueue {
		return s.cfg.JobsQueueURL
	}
	return s.cfg.TasksQueueURL
}

// Kill simulates a crash: everything stops at once, and nothing is
// deleted or released, so SQS delivers held messages again once their
// leases lapse. Run returns ErrKilled promptly (handlers must honour their
// context).
func (s *Service) Kill() {
	s.killCancel()
}

// Run consumes until ctx is cancelled, then shuts down gracefully: it
// stops polling, lets workers finish queued and running tasks within
// ShutdownTimeout, deletes what is done, makes every unfinished message
// visible again at once, and returns. No goroutine outlives it.
func (s *Service) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("service: Run called twice")
	}
	// hard ends everything: Kill, or the end of Run. poll ends receives and
	// handler contexts: the drain deadline of a shutdown. flush bounds the
	// SQS calls that delete and release during a shutdown.
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	var watch sync.WaitGroup
	defer watch.Wait()
	defer hardCancel()
	watch.Go(func() {
		select {
		case <-s.killCtx.Done():
			hardCancel()
		case <-hard.Done():
		}
	})
	poll, pollCancel := context.WithCancel(hard)
	defer pollCancel()
	flush, flushCancel := context.WithCancel(hard)
	defer flushCancel()
	beatCtx, beatCancel := context.WithCancel(flush)
	defer beatCancel()
	// intake ends with the shutdown signal or a kill: pollers stop taking
	// new messages.
	intake, intakeCancel := context.WithCancel(hard)
	defer intakeCancel()
	stopIntake := context.AfterFunc(ctx, intakeCancel)
	defer stopIntake()

	var pollers, workers, senders, finishers, beat sync.WaitGroup
	beat.Go(func() { s.heartbeat(beatCtx) })
	senders.Go(func() { s.handoffs.run(hard, flush) })
	finishers.Go(func() { s.jobDeletes.run(hard, flush) })
	finishers.Go(func() { s.taskDeletes.run(hard, flush) })
	finishers.Go(func() { s.retryLater.run(hard, flush) })
	for range s.cfg.Workers {
		workers.Go(func() { s.worker(poll, &workers) })
	}
	for range s.cfg.Pollers {
		pollers.Go(func() { s.pollJobs(intake, poll) })
		pollers.Go(func() { s.pollTasks(intake, poll) })
	}

	select {
	case <-ctx.Done():
	case <-hard.Done():
	}
	if hard.Err() == nil {
		s.shutdown(&pollers, &workers, &senders, &finishers, pollCancel, flushCancel)
		beatCancel()
		beat.Wait()
		s.releaseAll(flush)
	}
	// After a kill (even one during the shutdown) nothing is released:
	// leases lapse in SQS as after a real crash.
	hardCancel()
	s.sched.close()
	pollers.Wait()
	workers.Wait()
	senders.Wait()
	finishers.Wait()
	beat.Wait()
	if s.killCtx.Err() != nil {
		return ErrKilled
	}
	if left := s.leases.count(); left > 0 {
		s.log.Warn("shutdown ended with messages still leased; SQS delivers them again after their visibility timeout", "messages", left)
	}
	return nil
}

// shutdown drains in order: pollers stop receiving; workers finish the
// queue until the drain deadline, which keeps a quarter of the budget (at
// most 2s) for what follows; hand-offs, deletes and retries are flushed;
// the rest of the budget bounds those calls.
func (s *Service) shutdown(pollers, workers, senders, finishers *sync.WaitGroup, pollCancel, flushCancel context.CancelFunc) {
	budget := s.cfg.ShutdownTimeout
	reserve := min(budget/4, 2*time.Second)
	drainDeadline := time.AfterFunc(budget-reserve, func() {
		pollCancel()
		s.sched.close()
	})
	defer drainDeadline.Stop()
	finalDeadline := time.AfterFunc(budget, flushCancel)
	defer finalDeadline.Stop()

	s.sched.closeIntake()
	pollers.Wait()
	s.sched.finish()
	workers.Wait()
	pollCancel()
	s.sched.close()
	// Producers are gone: workers and pollers feed the hand-offs, and
	// hand-offs feed the job deletes (a job is deletable once its last
	// task is on the tasks queue).
	close(s.handoffs.in)
	senders.Wait()
	close(s.jobDeletes.in)
	close(s.taskDeletes.in)
	close(s.retryLater.in)
	finishers.Wait()
}

// releaseAll makes every still-held message visible again at once, so
// another consumer can take it without waiting for the lease to lapse. It
// returns how many it released.
func (s *Service) releaseAll(ctx context.Context) int {
	held := s.leases.takeAll()
	var wg sync.WaitGroup
	var released atomic.Int64
	for q, msgs := range held {
		for start := 0; start < len(msgs); start += maxBatch {
			batch := msgs[start:min(start+maxBatch, len(msgs))]
			wg.Go(func() {
				changed := s.changeVisibility(ctx, queueKind(q), batch, 0, false)
				now := time.Now()
				for i, m := range batch {
					if !changed[i] {
						continue
					}
					released.Add(1)
					s.stats.released.Add(1)
					if s.observer != nil {
						s.observer.Observe(Event{
							Kind: Released, Queue: m.queue.String(), MessageID: m.id, JobID: m.jobID, TaskID: m.taskID,
							ReceiveCount: m.receiveCount, SentAt: m.sentAt, ReceivedAt: m.receivedAt, At: now,
						})
					}
				}
			})
		}
	}
	wg.Wait()
	return int(released.Load())
}

// sqsError returns the callback that counts and logs a failed SQS call
// that will be retried.
func (s *Service) sqsError(what string) func(error) {
	return func(err error) {
		s.stats.sqsErrors.Add(1)
		s.log.Warn("SQS call failed; retrying with backoff", "call", what, "err", err)
	}
}

var systemAttributes = []types.MessageSystemAttributeName{
	types.MessageSystemAttributeNameSentTimestamp,
	types.MessageSystemAttributeNameApproximateReceiveCount,
}

// receive long-polls q for up to max messages and registers their leases.
// Errors are retried with backoff until ctx ends.
func (s *Service) receive(ctx context.Context, q queueKind, in *sqs.ReceiveMessageInput, max int, b *backoff) []*message {
	in.MaxNumberOfMessages = int32(max)
	start := time.Now()
	out, err := s.client.ReceiveMessage(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.sqsError("receive messages")(err)
		sleepCtx(ctx, b.next())
		return nil
	}
	b.reset()
	if len(out.Messages) == 0 {
		return nil
	}
	now := time.Now()
	expires := start.Add(s.visibility)
	msgs := make([]*message, 0, len(out.Messages))
	for i := range out.Messages {
		raw := &out.Messages[i]
		if raw.ReceiptHandle == nil {
			s.log.Error("SQS returned a message without a receipt handle; ignoring it", "queue", q.String(), "message_id", aws.ToString(raw.MessageId))
			continue
		}
		m := &message{
			queue:        q,
			id:           aws.ToString(raw.MessageId),
			receipt:      raw.ReceiptHandle,
			body:         aws.ToString(raw.Body),
			receiveCount: 1,
			receivedAt:   now,
		}
		if v, ok := raw.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]; ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				m.receiveCount = n
			}
		}
		if v, ok := raw.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)]; ok {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				m.sentAt = time.UnixMilli(ms)
			}
		}
		s.leases.add(m, expires)
		msgs = append(msgs, m)
	}
	s.stats.received.Add(int64(len(msgs)))
	return msgs
}

func (s *Service) newReceiveInput(q queueKind) *sqs.ReceiveMessageInput {
	return &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(s.queueURL(q)),
		WaitTimeSeconds:             wholeSeconds(s.cfg.WaitTime),
		VisibilityTimeout:           int32(s.visibility / time.Second),
		MessageSystemAttributeNames: systemAttributes,
	}
}

// pollJobs receives export jobs while job slots are free; with all slots
// taken it stops receiving, which is the backpressure on the jobs queue.
func (s *Service) pollJobs(run, poll context.Context) {
	in := s.newReceiveInput(jobsQueue)
	b := newBackoff()
	for run.Err() == nil {
		slots := s.takeJobSlots(run)
		if slots == 0 {
			return
		}
		msgs := s.receive(poll, jobsQueue, in, slots, &b)
		s.giveJobSlots(slots - len(msgs))
		for _, m := range msgs {
			s.startJob(poll, m)
		}
	}
}

// takeJobSlots waits for at least one free job slot and takes up to a
// batch's worth.
func (s *Service) takeJobSlots(ctx context.Context) int {
	select {
	case <-s.jobSlot:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < maxBatch {
		select {
		case <-s.jobSlot:
			n++
			continue
		default:
		}
		break
	}
	return n
}

func (s *Service) giveJobSlots(n int) {
	for range n {
		s.jobSlot <- struct{}{}
	}
}

// startJob validates a job message and queues its tasks; tasks that do not
// fit are handed to the tasks queue. The job's slot is given back once
// every task has settled (see settle) or the message was dead-lettered.
func (s *Service) startJob(ctx context.Context, m *message) {
	job, err := DecodeJob(m.body)
	if err != nil {
		s.observeMessage(Received, m)
		s.deadLetter(ctx, m, err)
		s.giveJobSlots(1)
		return
	}
	m.jobID = job.JobID
	m.body = "" // the tasks are decoded; do not hold the body for the job's lifetime
	s.stats.jobsReceived.Add(1)
	s.stats.jobsInProgress.Add(1)
	s.observeMessage(Received, m)
	run := &jobRun{msg: m}
	run.outstanding.Store(int32(len(job.Tasks)))
	baseAttempt := m.receiveCount - 1
	for i := range job.Tasks {
		w := &workItem{task: job.Tasks[i], msg: m, job: run, attempt: baseAttempt + job.Tasks[i].Attempt}
		result, evicted := s.sched.offer(w)
		if result == offerClosed {
			return // past the drain deadline: the job is released unfinished
		}
		if evicted != nil {
			evicted.task.Attempt = evicted.attempt
			if !s.handoffs.submit(ctx, handoff{item: evicted, overflow: true}) {
				return // shutting down: the unfinished job is released
			}
		}
		if result == offerOverflow {
			w.task.Attempt = w.attempt
			if !s.handoffs.submit(ctx, handoff{item: w, overflow: true}) {
				return
			}
		}
	}
}

// settle records that one of a job's tasks finished or is safely on the
// tasks queue; the last one makes the job message deletable.
func (s *Service) settle(run *jobRun) {
	if run == nil || run.outstanding.Add(-1) != 0 || run.abandoned.Load() {
		return
	}
	s.stats.jobsInProgress.Add(-1)
	s.giveJobSlots(1)
	run.msg.readyAt = time.Now()
	// The deleter can only refuse once the service is being killed; the
	// message then stays leased and SQS delivers it again.
	s.jobDeletes.submit(s.killCtx, run.msg)
}

// abandonJob gives a job back to SQS when one of its tasks can be neither
// run nor handed off: the whole job is delivered again later.
func (s *Service) abandonJob(run *jobRun) {
	if run == nil || !run.abandoned.CompareAndSwap(false, true) {
		return
	}
	s.stats.jobsInProgress.Add(-1)
	s.giveJobSlots(1)
	if s.leases.remove(run.msg) {
		s.retryLater.submit(s.killCtx, run.msg)
	}
}

// pollTasks receives task messages while the internal queue has room. A
// task from this queue always runs here: it is never overflowed again.
func (s *Service) pollTasks(run, poll context.Context) {
	in := s.newReceiveInput(tasksQueue)
	b := newBackoff()
	for run.Err() == nil {
		free := s.sched.waitSpace()
		if free == 0 {
			return
		}
		msgs := s.receive(poll, tasksQueue, in, min(free, maxBatch), &b)
		for _, m := range msgs {
			task, err := DecodeTask(m.body)
			if err != nil {
				s.observeMessage(Received, m)
				s.deadLetter(poll, m, err)
				continue
			}
			m.jobID, m.taskID, m.body = task.JobID, task.TaskID, ""
			s.observeMessage(Received, m)
			w := &workItem{task: task, msg: m, attempt: task.Attempt + m.receiveCount - 1}
			if !s.sched.pushWait(w) {
				// Shutting down: the message stays leased and is released.
				continue
			}
		}
	}
}

// deadLetter sends an invalid message to the dead-letter queue with the
// reason, then deletes the original. The original is deleted only after
// the dead-letter queue accepted the copy; if it refuses, the original is
// left for SQS's own redrive.
func (s *Service) deadLetter(ctx context.Context, m *message, reason error) {
	text := attributeText(reason.Error())
	in := &sqs.SendMessageInput{
		QueueUrl:    aws.String(s.cfg.DeadLetterQueueURL),
		MessageBody: aws.String(m.body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			ReasonAttribute:      {DataType: aws.String("String"), StringValue: aws.String(text)},
			SourceQueueAttribute: {DataType: aws.String("String"), StringValue: aws.String(s.queueURL(m.queue))},
		},
	}
	if m.id != "" {
		in.MessageAttributes[MessageIDAttribute] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(m.id)}
	}
	if m.body == "" {
		// SQS refuses empty bodies; the reason still says it was empty.
		in.MessageBody = aws.String(" ")
	}
	err := retry(ctx, s.sqsError("send to the dead-letter queue"), func(ctx context.Context) error {
		_, err := s.client.SendMessage(ctx, in)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("the dead-letter queue refused an invalid message; leaving it for the queue's redrive policy", "queue", m.queue.String(), "message_id", m.id, "reason", text, "err", err)
			if s.leases.remove(m) {
				s.retryLater.submit(s.killCtx, m)
			}
		}
		return
	}
	s.stats.deadLettered.Add(1)
	if s.observer != nil {
		s.observer.Observe(Event{
			Kind: DeadLettered, Queue: m.queue.String(), MessageID: m.id, ReceiveCount: m.receiveCount,
			SentAt: m.sentAt, ReceivedAt: m.receivedAt, At: time.Now(), Err: reason,
		})
	}
	m.body = ""
	m.readyAt = time.Now()
	if m.queue == jobsQueue {
		s.jobDeletes.submit(s.killCtx, m)
	} else {
		s.taskDeletes.submit(s.killCtx, m)
	}
}

// attributeText keeps a reason within what SQS accepts in a string
// attribute: valid XML characters, and short.
func attributeText(s string) string {
	const max = 1024
	out := make([]rune, 0, min(len(s), max))
	for _, r := range s {
		if len(out) == max {
			break
		}
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			out = append(out, r)
		default:
			out = append(out, '?')
		}
	}
	return string(out)
}

func encodeTask(t Task) (string, error) {
	b, err := json.Marshal(t)
	return string(b), err
}

// worker runs tasks until the scheduler tells it to leave. After a panic
// it starts its replacement and leaves, as a crashed worker would.
func (s *Service) worker(ctx context.Context, wg *sync.WaitGroup) {
	for {
		w, ok := s.sched.pop()
		if !ok {
			return
		}
		if crashed := s.runTask(ctx, w); crashed {
			wg.Go(func() { s.worker(ctx, wg) })
			return
		}
	}
}

func (s *Service) runTask(ctx context.Context, w *workItem) (crashed bool) {
	started := time.Now()
	s.stats.inFlight.Add(1)
	s.observeTask(Started, w, started, started, nil)
	err, crashed := s.invoke(ctx, w)
	s.stats.inFlight.Add(-1)
	now := time.Now()
	switch {
	case err != nil && ctx.Err() != nil:
		// Cut off by the shutdown deadline or a kill: not the task's
		// fault. Its message stays leased and is released (or lapses).
		return crashed
	case crashed:
		s.stats.crashed.Add(1)
		s.observeTask(Crashed, w, started, now, err)
		s.logPanic(w, err)
		s.taskFailed(w)
	case err != nil:
		s.stats.failed.Add(1)
		s.observeTask(Failed, w, started, now, err)
		s.taskFailed(w)
	default:
		s.stats.processed.Add(1)
		s.observeTask(Finished, w, started, now, nil)
		s.taskDone(w, now)
	}
	return crashed
}

// invoke runs the handler, injecting failures and crashes as configured,
// and turns a panic into an error.
func (s *Service) invoke(ctx context.Context, w *workItem) (err error, crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			err, crashed = &PanicError{Value: r, Stack: debug.Stack()}, true
		}
	}()
	if s.cfg.CrashRate > 0 && chance(s.cfg.Seed, crashSalt, &w.task, w.attempt) < s.cfg.CrashRate {
		panic(injectedCrash{})
	}
	if s.cfg.FailureRate > 0 && chance(s.cfg.Seed, failureSalt, &w.task, w.attempt) < s.cfg.FailureRate {
		return ErrInjectedFailure, false
	}
	return s.handler.Handle(ctx, w.task), false
}

func (s *Service) logPanic(w *workItem, err error) {
	var p *PanicError
	if !errors.As(err, &p) {
		return
	}
	if _, injected := p.Value.(injectedCrash); injected {
		s.log.Debug("injected worker crash", "job_id", w.task.JobID, "task_id", w.task.TaskID)
		return
	}
	s.log.Error("task handler panicked; worker replaced, task treated as failed", "job_id", w.task.JobID, "task_id", w.task.TaskID, "panic", fmt.Sprint(p.Value), "stack", string(p.Stack))
}

func (s *Service) taskDone(w *workItem, now time.Time) {
	if w.job != nil {
		s.settle(w.job)
		return
	}
	w.msg.readyAt = now
	s.taskDeletes.submit(s.killCtx, w.msg)
}

// taskFailed sends a failed task around SQS for a retry: a job's task is
// handed to the tasks queue (the job settles once SQS has it); a task
// message is not deleted but made visible again after RetryDelay, and
// the queue's redrive policy dead-letters it after maxReceiveCount.
func (s *Service) taskFailed(w *workItem) {
	if w.job != nil {
		w.task.Attempt = w.attempt + 1
		s.handoffs.submit(s.killCtx, handoff{item: w})
		return
	}
	if s.leases.remove(w.msg) {
		s.retryLater.submit(s.killCtx, w.msg)
	}
}

func (s *Service) observeMessage(kind EventKind, m *message) {
	if s.observer == nil {
		return
	}
	s.observer.Observe(Event{
		Kind: kind, Queue: m.queue.String(), MessageID: m.id, JobID: m.jobID, TaskID: m.taskID,
		ReceiveCount: m.receiveCount, SentAt: m.sentAt, ReceivedAt: m.receivedAt, At: time.Now(),
	})
}

func (s *Service) observeTask(kind EventKind, w *workItem, started, at time.Time, err error) {
	if s.observer == nil {
		return
	}
	m := w.msg
	s.observer.Observe(Event{
		Kind: kind, Queue: m.queue.String(), MessageID: m.id, JobID: w.task.JobID, TaskID: w.task.TaskID,
		ReceiveCount: m.receiveCount, SentAt: m.sentAt, ReceivedAt: m.receivedAt, StartedAt: started, At: at, Err: err,
	})
}
