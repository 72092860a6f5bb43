// Package load drives export jobs onto the jobs queue: a number of jobs in
// batches separated by pauses, released at a constant rate or as fast as
// the senders go, sent in SendMessageBatch calls by concurrent senders.
//
// Every job is accounted for: a job is recorded as sent only once SQS
// accepted it, failed calls and failed entries are retried with backoff,
// and a job that could not be sent is reported in Stats and in the error.
//
// Ids are deterministic so that runs compare and the collector can parse
// them back into numbers: job N is "<prefix>j<N>" and its task k is
// "<prefix>j<N>/t<k>", both counted from zero.
package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sqsperf/sqsperf/service"
)

const (
	// MaxMessageBytes is the largest job message the driver sends. SQS
	// queues can now be raised to 1 MiB, but 256 KiB is the limit every
	// backend (LocalStack, older queues) accepts, and it also bounds the
	// sum of the bodies of one SendMessageBatch call.
	MaxMessageBytes = 256 * 1024
	// maxBatchEntries is SQS's limit on entries per SendMessageBatch.
	maxBatchEntries = 10
	// maxAttempts bounds the tries per job, the SDK's own retries aside.
	maxAttempts = 8
	backoffBase = 50 * time.Millisecond
	backoffMax  = 2 * time.Second
	// maxUnsentIDs is how many unsent job ids Stats names.
	maxUnsentIDs = 20
)

// Plan is the load of one run.
type Plan struct {
	Jobs        int // total over all batches
	TasksPerJob int
	// Batches splits Jobs into this many batches of (nearly) equal size;
	// 0 means 1.
	Batches int
	// BatchInterval is the pause between the end of one batch's sending
	// and the start of the next.
	BatchInterval time.Duration
	// Rate is the arrival rate in jobs per second within a batch; 0 sends
	// as fast as possible. It is the default Pacer: ConstantPacer{Rate}.
	Rate float64
	// Pacer, if set, is the arrival process within each batch instead of
	// Rate (a ramp, bursts, a recorded trace); set one or the other. It is
	// asked before every job, from one goroutine, with the time since the
	// batch began and the jobs released so far in the batch.
	Pacer Pacer
	// Senders is the number of concurrent senders; 0 means 1.
	Senders int
	// Payload is the number of bytes of padding in every job message.
	Payload int
	// JobIDPrefix starts every job id, so that two loads on the same
	// queues (a warm-up and the measured run) never share ids.
	JobIDPrefix string
	// Seed makes the padding and the retry jitter reproducible.
	Seed int64
}

// Sender is the part of the SQS client the driver uses.
type Sender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ Sender = (*sqs.Client)(nil)

// Recorder learns of every job SQS accepted. at is when the driver
// released the job (on the pacer's schedule while the senders keep up),
// so a latency measured from it includes waiting for a free sender,
// retries and the send itself. It is called concurrently from the senders.
type Recorder interface {
	JobSent(jobID string, taskIDs []string, at time.Time)
}

// Hooks let the runner act between batches. For each batch b the order
// is: the pause (BatchInterval, from batch 1 on), BeforeBatch(b), sending,
// BatchSent(b). All are optional.
type Hooks struct {
	// BeforeBatch runs before batch b is sent, for every batch including
	// the first; the runner waits for the previous batch to drain and
	// samples its quiet point here. An error stops the load.
	BeforeBatch func(ctx context.Context, batch int) error
	// BatchSent runs once every job of batch b was sent or given up.
	BatchSent func(batch int)
	// Progress receives the number of jobs sent so far after each
	// accepted call. It is called from the senders, concurrently.
	Progress func(jobsSent int)
}

// Stats describes what the driver did.
type Stats struct {
	Planned   int // jobs the plan asked for
	JobsSent  int // jobs SQS accepted, each counted once
	TasksSent int
	// Unsent is Planned - JobsSent: jobs given up after their retries or
	// never tried because the load stopped.
	Unsent int
	// UnsentIDs names up to 20 jobs that were tried and given up.
	UnsentIDs []string
	Calls     int // SendMessageBatch calls
	Resent    int // entries sent again after a failed call or entry
	Batches   int // batches whose every job was tried
	Elapsed   time.Duration
	// LastError is the last failure seen, retried or not ("" if none).
	LastError string
}

// Run sends the plan's jobs to queueURL and records each accepted job with
// rec. It returns an error when a job could not be sent, when a hook
// failed, or when ctx ended first; Stats is valid in every case.
func Run(ctx context.Context, s Sender, queueURL string, p Plan, rec Recorder, h Hooks) (Stats, error) {
	p, err := p.normalized()
	if err != nil {
		return Stats{}, err
	}
	bodies, err := newBodies(p)
	if err != nil {
		return Stats{Planned: p.Jobs, Unsent: p.Jobs}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	d := &driver{sender: s, queueURL: queueURL, plan: p, rec: rec, hooks: h, bodies: bodies, stop: cancel}
	d.stats.Planned = p.Jobs
	began := time.Now()

	err = d.batches(ctx)

	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats
	st.Unsent = st.Planned - st.JobsSent
	st.Elapsed = time.Since(began)
	if err == nil {
		err = context.Cause(ctx)
	}
	switch {
	case err != nil:
		return st, fmt.Errorf("load stopped with %d of %d jobs sent: %w", st.JobsSent, st.Planned, err)
	case st.Unsent > 0:
		return st, fmt.Errorf("load: %d of %d jobs could not be sent after %d attempts each (first: %v); last error: %s",
			st.Unsent, st.Planned, maxAttempts, st.UnsentIDs, st.LastError)
	}
	return st, nil
}

func (p Plan) normalized() (Plan, error) {
	if p.Batches == 0 {
		p.Batches = 1
	}
	if p.Senders == 0 {
		p.Senders = 1
	}
	switch {
	case p.Jobs < 1:
		return p, fmt.Errorf("load plan: Jobs is %d; it must be at least 1", p.Jobs)
	case p.TasksPerJob < 1:
		return p, fmt.Errorf("load plan: TasksPerJob is %d; it must be at least 1", p.TasksPerJob)
	case p.Batches < 0 || p.Batches > p.Jobs:
		return p, fmt.Errorf("load plan: Batches is %d; it must be between 1 and Jobs (%d) so that no batch is empty", p.Batches, p.Jobs)
	case p.Senders < 0:
		return p, fmt.Errorf("load plan: Senders is %d; it must be at least 1", p.Senders)
	case p.Rate < 0:
		return p, fmt.Errorf("load plan: Rate is %g; it must be positive, or 0 for as fast as possible", p.Rate)
	case p.Rate != 0 && p.Pacer != nil:
		return p, fmt.Errorf("load plan: Rate is %g and a Pacer is set; set Rate or Pacer, not both", p.Rate)
	case p.Payload < 0:
		return p, fmt.Errorf("load plan: Payload is %d; it must be 0 or more bytes", p.Payload)
	case p.BatchInterval < 0:
		return p, fmt.Errorf("load plan: BatchInterval is %s; it must not be negative", p.BatchInterval)
	}
	return p, nil
}

// bodies builds job messages. The padding is made once per run: building
// it per job would spend the CPU that the service under test is measured
// on.
type bodies struct {
	prefix  string
	tasks   int
	padding string
}

func newBodies(p Plan) (*bodies, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	rng := rand.New(rand.NewPCG(uint64(p.Seed), 0x5eed))
	pad := make([]byte, p.Payload)
	for i := range pad {
		pad[i] = alphabet[rng.IntN(len(alphabet))]
	}
	b := &bodies{prefix: p.JobIDPrefix, tasks: p.TasksPerJob, padding: string(pad)}
	// The last job has the longest id, so the largest body.
	_, _, largest, err := b.job(p.Jobs - 1)
	if err != nil {
		return nil, err
	}
	if len(largest) > MaxMessageBytes {
		fixed := len(largest) - p.Payload
		if fixed >= MaxMessageBytes {
			return nil, fmt.Errorf("load plan: a job of %d tasks is %d bytes without padding, over the %d-byte SQS message limit; lower TasksPerJob",
				p.TasksPerJob, fixed, MaxMessageBytes)
		}
		return nil, fmt.Errorf("load plan: Payload %d makes job messages %d bytes, over the %d-byte SQS message limit; use a Payload of at most %d bytes",
			p.Payload, len(largest), MaxMessageBytes, MaxMessageBytes-fixed)
	}
	return b, nil
}

// JobID returns the id of job n of a load with the given prefix.
func JobID(prefix string, n int) string { return prefix + "j" + strconv.Itoa(n) }

// TaskID returns the id of task k of a job.
func TaskID(jobID string, k int) string { return jobID + "/t" + strconv.Itoa(k) }

func (b *bodies) job(n int) (jobID string, taskIDs []string, body string, err error) {
	jobID = JobID(b.prefix, n)
	taskIDs = make([]string, b.tasks)
	job := service.ExportJob{JobID: jobID, Tasks: make([]service.Task, b.tasks), Payload: b.padding}
	for k := range taskIDs {
		taskIDs[k] = TaskID(jobID, k)
		job.Tasks[k] = service.Task{TaskID: taskIDs[k], JobID: jobID}
	}
	raw, err := json.Marshal(job)
	if err != nil {
		return "", nil, "", fmt.Errorf("encoding job %s: %w", jobID, err)
	}
	return jobID, taskIDs, string(raw), nil
}

// driver is one Run in progress.
type driver struct {
	sender   Sender
	queueURL string
	plan     Plan
	rec      Recorder
	hooks    Hooks
	bodies   *bodies
	stop     context.CancelCauseFunc // ends the run on an error no retry can fix

	mu    sync.Mutex
	stats Stats
}

// batches sends every batch in turn.
func (d *driver) batches(ctx context.Context) error {
	next := 0
	for b := 0; b < d.plan.Batches; b++ {
		size := d.plan.Jobs / d.plan.Batches
		if b < d.plan.Jobs%d.plan.Batches {
			size++
		}
		if b > 0 && d.plan.BatchInterval > 0 {
			if err := sleep(ctx, d.plan.BatchInterval); err != nil {
				return nil // the cause is reported by Run
			}
		}
		if d.hooks.BeforeBatch != nil {
			if err := d.hooks.BeforeBatch(ctx, b); err != nil {
				return fmt.Errorf("before batch %d: %w", b, err)
			}
		}
		d.batch(ctx, b, next, next+size)
		if ctx.Err() != nil {
			return nil
		}
		d.mu.Lock()
		d.stats.Batches++
		d.mu.Unlock()
		if d.hooks.BatchSent != nil {
			d.hooks.BatchSent(b)
		}
		next += size
	}
	return nil
}

// released is a job handed to a sender at its due time.
type released struct {
	n  int
	at time.Time
}

// batch releases jobs [from, to) to the senders at the plan's pace and
// waits until each was sent or given up.
func (d *driver) batch(ctx context.Context, batch, from, to int) {
	// Released jobs wait here for a free sender. The buffer lets a sender
	// find a full batch when jobs come faster than calls complete, and
	// bounds how far the release runs ahead of the senders.
	jobs := make(chan released, d.plan.Senders*maxBatchEntries)
	var wg sync.WaitGroup
	for i := 0; i < d.plan.Senders; i++ {
		wg.Add(1)
		seed := uint64(d.plan.Seed) ^ uint64(batch)<<32 ^ uint64(i)
		go func() {
			defer wg.Done()
			d.sendLoop(ctx, jobs, rand.New(rand.NewPCG(seed, 0xbac0ff)))
		}()
	}
	pacer := d.plan.pacer()
	start := time.Now()
	for n := from; n < to; n++ {
		if wait := pacer.Pace(time.Now().Sub(start), uint64(n-from)); wait > 0 {
			if sleep(ctx, wait) != nil {
				break
			}
		}
		select {
		case jobs <- released{n: n, at: time.Now()}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
}

// entry is one job on its way into a SendMessageBatch call.
type entry struct {
	jobID   string
	taskIDs []string
	body    string
	at      time.Time
}

// sendLoop takes jobs as they are released and sends them. It waits for
// one job, then takes whatever else is ready without waiting: at a paced
// rate, holding jobs back to fill a batch of ten would distort arrivals.
func (d *driver) sendLoop(ctx context.Context, jobs <-chan released, rng *rand.Rand) {
	var carry *entry
	for {
		var batch []entry
		size := 0
		if carry != nil {
			batch, size, carry = append(batch, *carry), len(carry.body), nil
		} else {
			r, ok := <-jobs
			if !ok {
				return
			}
			e, ok := d.build(r)
			if !ok {
				continue
			}
			batch, size = append(batch, e), len(e.body)
		}
	fill:
		for len(batch) < maxBatchEntries {
			select {
			case r, ok := <-jobs:
				if !ok {
					break fill
				}
				e, ok := d.build(r)
				if !ok {
					continue
				}
				if size+len(e.body) > MaxMessageBytes {
					carry = &e
					break fill
				}
				batch, size = append(batch, e), size+len(e.body)
			default:
				break fill
			}
		}
		d.deliver(ctx, batch, rng)
	}
}

func (d *driver) build(r released) (entry, bool) {
	jobID, taskIDs, body, err := d.bodies.job(r.n)
	if err != nil {
		d.giveUp([]entry{{jobID: JobID(d.plan.JobIDPrefix, r.n)}}, err.Error())
		return entry{}, false
	}
	return entry{jobID: jobID, taskIDs: taskIDs, body: body, at: r.at}, true
}

// deliver sends entries until each was accepted or given up.
func (d *driver) deliver(ctx context.Context, pending []entry, rng *rand.Rand) {
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			d.giveUp(pending, context.Cause(ctx).Error())
			return
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(d.queueURL), Entries: make([]types.SendMessageBatchRequestEntry, len(pending))}
		for i := range pending {
			in.Entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(pending[i].body)}
		}
		out, err := d.sender.SendMessageBatch(ctx, in)
		d.count(func(s *Stats) { s.Calls++ })

		var again []entry
		var lastErr string
		switch {
		case err != nil && ctx.Err() != nil:
			d.giveUp(pending, context.Cause(ctx).Error())
			return
		case err != nil && permanent(err):
			// Retrying a missing queue or a refused request only delays
			// the report: stop the whole load with the reason.
			d.giveUp(pending, err.Error())
			d.stop(fmt.Errorf("sending to %s: %w", d.queueURL, err))
			return
		case err != nil:
			again, lastErr = pending, err.Error()
		default:
			var failedForGood []entry
			again, failedForGood, lastErr = d.settle(pending, out)
			if len(failedForGood) > 0 {
				d.giveUp(failedForGood, lastErr)
			}
		}
		if len(again) == 0 {
			return
		}
		d.count(func(s *Stats) { s.LastError = lastErr })
		if attempt == maxAttempts {
			d.giveUp(again, lastErr)
			return
		}
		d.count(func(s *Stats) { s.Resent += len(again) })
		if sleep(ctx, backoff(attempt, rng)) != nil {
			d.giveUp(again, context.Cause(ctx).Error())
			return
		}
		pending = again
	}
}

// settle records the accepted entries of a call and sorts the others into
// those worth retrying and those SQS blames on the request itself.
func (d *driver) settle(pending []entry, out *sqs.SendMessageBatchOutput) (again, failed []entry, lastErr string) {
	answered := make([]bool, len(pending))
	accepted := 0
	for _, ok := range out.Successful {
		i, err := strconv.Atoi(aws.ToString(ok.Id))
		if err != nil || i < 0 || i >= len(pending) || answered[i] {
			continue
		}
		answered[i] = true
		accepted++
		e := pending[i]
		d.rec.JobSent(e.jobID, e.taskIDs, e.at)
	}
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(pending) || answered[i] {
			continue
		}
		answered[i] = true
		lastErr = fmt.Sprintf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		if f.SenderFault {
			failed = append(failed, pending[i])
		} else {
			again = append(again, pending[i])
		}
	}
	for i, ok := range answered {
		if !ok {
			// Neither accepted nor failed: a malformed answer. Sending
			// again may duplicate the job, which the collector counts;
			// not sending could lose it.
			again = append(again, pending[i])
			lastErr = "SendMessageBatch answered without entry " + strconv.Itoa(i)
		}
	}
	if accepted > 0 {
		var sent int
		d.count(func(s *Stats) {
			s.JobsSent += accepted
			s.TasksSent += accepted * d.plan.TasksPerJob
			sent = s.JobsSent
		})
		if d.hooks.Progress != nil {
			d.hooks.Progress(sent)
		}
	}
	return again, failed, lastErr
}

func (d *driver) giveUp(entries []entry, reason string) {
	d.count(func(s *Stats) {
		for _, e := range entries {
			if len(s.UnsentIDs) < maxUnsentIDs {
				s.UnsentIDs = append(s.UnsentIDs, e.jobID)
			}
		}
		if len(entries) > 0 && reason != "" {
			s.LastError = reason
		}
	})
}

func (d *driver) count(f func(*Stats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// permanent reports whether a call error cannot be cured by retrying: an
// error SQS attributes to the request (a missing queue, bad credentials,
// a malformed batch), except throttling.
func permanent(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorFault() != smithy.FaultClient {
		return false
	}
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary
}

// backoff is exponential with equal jitter: at least half the step, so a
// crowd of senders spreads out without any retrying at once.
func backoff(attempt int, rng *rand.Rand) time.Duration {
	step := backoffBase << min(attempt-1, 16)
	step = min(step, backoffMax)
	return step/2 + time.Duration(rng.Int64N(int64(step/2)+1))
}
