package collect

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/service"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func itoa(n int) string { return strconv.Itoa(n) }

func taskIDs(jobID string, n int) []string {
	ids := make([]string, n)
	for k := range ids {
		ids[k] = jobID + "/t" + itoa(k)
	}
	return ids
}

// lifecycle emits the events of one successful task: sent at sent, and
// each stage taking the given durations.
type stages struct{ queue, dispatch, process, ack time.Duration }

func runTask(c *Collector, jobID, taskID string, sent time.Time, st stages) time.Time {
	received := sent.Add(st.queue)
	started := received.Add(st.dispatch)
	finished := started.Add(st.process)
	acked := finished.Add(st.ack)
	c.Observe(service.Event{Kind: service.Received, Queue: "tasks", JobID: jobID, TaskID: taskID, SentAt: sent, ReceivedAt: received, At: received, ReceiveCount: 1})
	c.Observe(service.Event{Kind: service.Started, JobID: jobID, TaskID: taskID, ReceivedAt: received, StartedAt: started, At: started})
	c.Observe(service.Event{Kind: service.Finished, JobID: jobID, TaskID: taskID, ReceivedAt: received, StartedAt: started, At: finished})
	c.Observe(service.Event{Kind: service.Acked, JobID: jobID, TaskID: taskID, ReadyAt: finished, At: acked})
	return finished
}

func TestEveryTaskProcessed(t *testing.T) {
	c := New()
	st := stages{queue: 100 * time.Millisecond, dispatch: 10 * time.Millisecond, process: 50 * time.Millisecond, ack: 2 * time.Millisecond}
	for j := 0; j < 3; j++ {
		job := "j" + itoa(j)
		c.JobSent(job, taskIDs(job, 4), t0)
	}
	assert.False(t, c.Done(), "nothing processed yet")
	var last time.Time
	for j := 0; j < 3; j++ {
		job := "j" + itoa(j)
		for k := 0; k < 4; k++ {
			last = runTask(c, job, job+"/t"+itoa(k), t0, st)
		}
	}
	require.True(t, c.Done())

	m, acct := c.Result(t0, t0.Add(5*time.Second))
	assert.Equal(t, 3, acct.JobsSent)
	assert.Equal(t, 12, acct.Sent)
	assert.Equal(t, 12, acct.Processed)
	assert.Zero(t, acct.Lost)
	assert.Empty(t, acct.LostIDs)
	assert.Zero(t, acct.Duplicates)
	assert.Zero(t, acct.Retried)

	window := last.Sub(t0).Seconds()
	assert.InDelta(t, 12/window, m["throughput"], 1e-9)
	assert.InDelta(t, 3/window, m["throughput.jobs"], 1e-9)
	assert.InDelta(t, 5.0, m["duration"], 1e-9)
	assert.InDelta(t, 12.0, m["processed"], 0)
	assert.InDelta(t, 0.0, m["lost"], 0)

	// Every sample of a stage is the same, so every statistic is that value
	// to within the histogram's 1/128 relative error.
	for name, want := range map[string]time.Duration{
		"stage.queue_wait":    st.queue,
		"stage.dispatch_wait": st.dispatch,
		"stage.process":       st.process,
		"stage.ack":           st.ack,
		"latency.job":         last.Sub(t0),
	} {
		for _, stat := range []string{"p50", "p90", "p95", "p99", "max", "mean"} {
			got, ok := m[name+"."+stat]
			require.True(t, ok, "%s.%s missing", name, stat)
			assert.InEpsilon(t, want.Seconds(), got, 0.01, "%s.%s", name, stat)
		}
	}
}

func TestDistributionQuantiles(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 1000), t0)
	// Processing times 1ms..1000ms: p50 ~ 500ms, p99 ~ 990ms, max 1000ms.
	for k := 0; k < 1000; k++ {
		start := t0.Add(time.Second)
		c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t" + itoa(k), StartedAt: start, At: start.Add(time.Duration(k+1) * time.Millisecond)})
	}
	m, _ := c.Result(t0, t0)
	assert.InEpsilon(t, 0.500, m["stage.process.p50"], 0.01)
	assert.InEpsilon(t, 0.900, m["stage.process.p90"], 0.01)
	assert.InEpsilon(t, 0.990, m["stage.process.p99"], 0.01)
	assert.InDelta(t, 1.000, m["stage.process.max"], 1e-9, "max is exact")
	assert.InDelta(t, 0.5005, m["stage.process.mean"], 1e-9, "mean is exact")
	_, measured := m["stage.ack.p50"]
	assert.False(t, measured, "a stage without samples must be absent, not zero")
}

func TestNegativeStageClampedToZero(t *testing.T) {
	c := New()
	// SQS's SentTimestamp has millisecond precision and may come from
	// another clock: a receive "before" the send must not vanish.
	c.Observe(service.Event{Kind: service.Received, SentAt: t0.Add(time.Millisecond), ReceivedAt: t0})
	m, _ := c.Result(t0, t0)
	assert.Zero(t, m["stage.queue_wait.max"])
	assert.Contains(t, m, "stage.queue_wait.p50")
}

func TestDuplicatesRetriesFailuresCrashes(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 2), t0)
	at := t0.Add(time.Second)
	// t0: fails twice (once by panic), then finishes: 2 retries.
	for range 3 {
		c.Observe(service.Event{Kind: service.Started, TaskID: "j0/t0", StartedAt: at, At: at})
	}
	c.Observe(service.Event{Kind: service.Failed, TaskID: "j0/t0", StartedAt: at, At: at, Err: errors.New("injected")})
	c.Observe(service.Event{Kind: service.Crashed, TaskID: "j0/t0", StartedAt: at, At: at, Err: errors.New("panic")})
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t0", StartedAt: at, At: at})
	// t1: processed twice (at-least-once delivery), once overflowed.
	c.Observe(service.Event{Kind: service.Overflowed, TaskID: "j0/t1", At: at})
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t1", StartedAt: at, At: at})
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t1", StartedAt: at, At: at.Add(time.Second)})

	m, acct := c.Result(t0, at)
	assert.Equal(t, 2, acct.Processed, "a task id counts once")
	assert.Equal(t, 1, acct.Duplicates)
	assert.Equal(t, 2, acct.Retried)
	assert.Equal(t, 2, acct.Failures, "a crash is a failed attempt")
	assert.Equal(t, 1, acct.Crashes)
	assert.Equal(t, 1, acct.Overflowed)
	assert.Zero(t, acct.Lost)
	assert.InDelta(t, 0.5, m["duplicates.ratio"], 1e-12)
	// The duplicate finishing later must not stretch the throughput window.
	assert.InDelta(t, 2.0, m["throughput"], 1e-9)
}

func TestLostIsComputedFromTheSets(t *testing.T) {
	c := New()
	for _, job := range []string{"j2", "j10", "j3"} {
		c.JobSent(job, taskIDs(job, 3), t0)
	}
	// Counts that would balance if lost were derived from them: one
	// duplicate stands in for a missing task.
	finish := func(id string) {
		c.Observe(service.Event{Kind: service.Finished, TaskID: id, StartedAt: t0, At: t0.Add(time.Second)})
	}
	for _, id := range []string{"j2/t0", "j2/t0", "j2/t2", "j10/t0", "j10/t1", "j10/t2", "j3/t1"} {
		finish(id)
	}
	c.AddDeadLettered([]string{`{"task_id":"j3/t2","job_id":"j3"}`})
	assert.False(t, c.Done())

	_, acct := c.Result(t0, t0)
	assert.Equal(t, 9, acct.Sent)
	assert.Equal(t, 6, acct.Processed)
	assert.Equal(t, 1, acct.Duplicates)
	assert.Equal(t, 1, acct.DeadLettered)
	assert.Equal(t, 2, acct.Lost)
	assert.Equal(t, []string{"j2/t1", "j3/t0"}, acct.LostIDs, "natural order: j2 before j3 before j10")
}

func TestLostIDsAreCappedAndLowestFirst(t *testing.T) {
	c := New()
	for j := 99; j >= 0; j-- {
		job := "p-j" + itoa(j)
		c.JobSent(job, taskIDs(job, 2), t0)
	}
	_, acct := c.Result(t0, t0)
	assert.Equal(t, 200, acct.Lost)
	require.Len(t, acct.LostIDs, maxLostIDs)
	assert.Equal(t, "p-j0/t0", acct.LostIDs[0])
	assert.Equal(t, "p-j0/t1", acct.LostIDs[1])
	assert.Equal(t, "p-j9/t1", acct.LostIDs[19])
}

func TestDeadLetteredBodies(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 3), t0)
	c.JobSent("j1", taskIDs("j1", 2), t0)
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t0", StartedAt: t0, At: t0})

	c.AddDeadLettered([]string{
		`{"task_id":"j0/t1","job_id":"j0","attempt":2}`,
		`{"task_id":"j0/t1","job_id":"j0"}`, // redelivered: counts once
		`{"task_id":"j0/t0","job_id":"j0"}`, // processed, then a duplicate delivery failed
		`{"job_id":"j1","tasks":[{"task_id":"j1/t0","job_id":"j1"},{"task_id":"j1/t1","job_id":"j1"}],"payload":"xxxx"}`,
		`not json`,
		`{"job_id":"j9"}`, // a job without tasks
		`{}`,
		`[1,2]`,
	})
	p := c.Progress()
	assert.Equal(t, 4, p.DeadLettered, "j0/t0, j0/t1, j1/t0, j1/t1")
	assert.Equal(t, 4, p.Invalid)
	assert.Equal(t, 4, p.Settled, "j0/t0 processed and dead counts once")
	assert.False(t, c.Done(), "j0/t2 is still out")

	_, acct := c.Result(t0, t0)
	assert.Equal(t, 1, acct.Processed)
	assert.Equal(t, 4, acct.DeadLettered)
	assert.Equal(t, 1, acct.Lost)
	assert.Equal(t, []string{"j0/t2"}, acct.LostIDs)
	assert.Equal(t, 4, acct.Invalid)
}

func TestInvalidReconcilesEventsWithBodies(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 2), t0)
	// The service rejects two malformed messages and says so; the runner
	// later finds both on the dead-letter queue. They are two, not four.
	for range 2 {
		c.Observe(service.Event{Kind: service.DeadLettered, Err: errors.New("not JSON"), At: t0})
	}
	c.AddDeadLettered([]string{"garbage", "{"})
	assert.Equal(t, 2, c.Progress().Invalid)
	// Without the events (a service elsewhere), the bodies alone count.
	c2 := New()
	c2.AddDeadLettered([]string{"garbage", "{", "]"})
	assert.Equal(t, 3, c2.Progress().Invalid)
}

func TestServiceDeadLettersAWholeJob(t *testing.T) {
	c := New()
	c.JobSent("j4", taskIDs("j4", 3), t0)
	c.Observe(service.Event{Kind: service.DeadLettered, Queue: "jobs", JobID: "j4", Err: errors.New("invalid"), At: t0})
	assert.True(t, c.Done())
	_, acct := c.Result(t0, t0)
	assert.Equal(t, 3, acct.DeadLettered)
	assert.Equal(t, 1, acct.Invalid)
	assert.Zero(t, acct.Lost)
}

func TestEventsBeforeJobSentAreKept(t *testing.T) {
	c := New()
	// SQS delivered the job before the SendMessageBatch response reached
	// the driver.
	c.Observe(service.Event{Kind: service.Started, JobID: "j0", TaskID: "j0/t0", At: t0.Add(time.Millisecond)})
	c.Observe(service.Event{Kind: service.Finished, JobID: "j0", TaskID: "j0/t0", StartedAt: t0, At: t0.Add(2 * time.Millisecond)})
	assert.Equal(t, 2, c.Foreign(), "held, not yet accounted")
	assert.Zero(t, c.Progress().Processed)

	c.JobSent("j0", taskIDs("j0", 1), t0)
	assert.True(t, c.Done())
	m, acct := c.Result(t0, t0)
	assert.Equal(t, 1, acct.Processed)
	assert.Zero(t, acct.Retried)
	assert.InEpsilon(t, 0.002, m["latency.job.max"], 1e-9)
	assert.Zero(t, c.Foreign())
}

func TestJobSentTwiceCountsOnce(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 2), t0)
	c.JobSent("j0", taskIDs("j0", 2), t0.Add(time.Second))
	p := c.Progress()
	assert.Equal(t, 1, p.JobsSent)
	assert.Equal(t, 2, p.Sent)
}

func TestForeignTasksStayOutOfTheAccounting(t *testing.T) {
	c := New()
	c.JobSent("j0", taskIDs("j0", 1), t0)
	c.Observe(service.Event{Kind: service.Finished, TaskID: "wj0/t0", At: t0}) // warm-up straggler
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t5", At: t0})  // not a task of j0
	c.Observe(service.Event{Kind: service.Finished, At: t0})                   // names nothing
	assert.Equal(t, 3, c.Foreign())
	_, acct := c.Result(t0, t0)
	assert.Zero(t, acct.Processed)
	assert.Equal(t, 1, acct.Lost)
}

func TestIDsOutsideTheScheme(t *testing.T) {
	c := New()
	c.JobSent("order-A", []string{"img-1", "img-2", "img-3"}, t0)
	c.JobSent("j7", []string{"j7/t0", "j7/t2"}, t0) // scheme job, tasks not numbered 0..n-1
	c.Observe(service.Event{Kind: service.Finished, JobID: "order-A", TaskID: "img-1", StartedAt: t0, At: t0.Add(time.Second)})
	c.Observe(service.Event{Kind: service.Finished, JobID: "j7", TaskID: "j7/t2", StartedAt: t0, At: t0.Add(time.Second)})
	c.AddDeadLettered([]string{`{"task_id":"img-3","job_id":"order-A"}`})
	_, acct := c.Result(t0, t0)
	assert.Equal(t, 5, acct.Sent)
	assert.Equal(t, 2, acct.Processed)
	assert.Equal(t, 1, acct.DeadLettered)
	assert.Equal(t, 2, acct.Lost)
	assert.ElementsMatch(t, []string{"img-2", "j7/t0"}, acct.LostIDs)
}

func TestHugeJobNumberFallsBackToTheMap(t *testing.T) {
	c := New()
	c.JobSent("j2000000000", taskIDs("j2000000000", 1), t0)
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j2000000000/t0", StartedAt: t0, At: t0})
	assert.True(t, c.Done())
	s := &c.shards[shardOf("j2000000000")]
	assert.Empty(t, s.byNumber[""].slots, "a stray large number must not allocate a dense index")
}

func TestPendingIsBounded(t *testing.T) {
	c := New()
	for i := 0; i < maxPending+10; i++ {
		c.Observe(service.Event{Kind: service.Started, TaskID: "x" + itoa(i) + "j1/t0"})
	}
	assert.Equal(t, maxPending+10, c.Foreign())
	assert.EqualValues(t, maxPending, c.pending.n.Load())
}

func TestDoneNeedsSomethingSent(t *testing.T) {
	assert.False(t, New().Done())
}

func TestConcurrentSendersAndObservers(t *testing.T) {
	const jobs, tasks, workers = 400, 5, 8
	c := New()
	ids := make(chan string, jobs*tasks)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < jobs; j += 4 {
				job := "r-j" + itoa(j)
				tids := taskIDs(job, tasks)
				// Half the tasks are observed before the job is recorded.
				for _, id := range tids[:2] {
					ids <- id
				}
				c.JobSent(job, tids, time.Now())
				for _, id := range tids[2:] {
					ids <- id
				}
			}
		}()
	}
	var obs sync.WaitGroup
	for w := 0; w < workers; w++ {
		obs.Add(1)
		go func() {
			defer obs.Done()
			for id := range ids {
				now := time.Now()
				c.Observe(service.Event{Kind: service.Received, TaskID: id, SentAt: now, ReceivedAt: now})
				c.Observe(service.Event{Kind: service.Started, TaskID: id, ReceivedAt: now, StartedAt: now, At: now})
				c.Observe(service.Event{Kind: service.Finished, TaskID: id, StartedAt: now, At: now})
				if id[len(id)-1] == '4' {
					c.Observe(service.Event{Kind: service.Finished, TaskID: id, StartedAt: now, At: now})
				}
				_ = c.Progress()
				_ = c.Done()
			}
		}()
	}
	wg.Wait()
	close(ids)
	obs.Wait()

	require.True(t, c.Done())
	_, acct := c.Result(time.Now(), time.Now())
	assert.Equal(t, jobs, acct.JobsSent)
	assert.Equal(t, jobs*tasks, acct.Sent)
	assert.Equal(t, jobs*tasks, acct.Processed)
	assert.Equal(t, jobs, acct.Duplicates)
	assert.Zero(t, acct.Lost)
	assert.Zero(t, acct.Retried)
	assert.Zero(t, c.Foreign())
}

func TestFormatProgress(t *testing.T) {
	p := Progress{Sent: 1200, Processed: 950, DeadLettered: 3, Expected: 2000}
	assert.Equal(t, "load  sent 1200/2000  processed 950  dlq 3  12.4s", FormatProgress("load", p, 12400*time.Millisecond))
	p = Progress{Sent: 5, Processed: 5, Invalid: 1, Duplicates: 2}
	assert.Equal(t, "drain  sent 5  processed 5  dlq 0  invalid 1  dup 2  0.0s", FormatProgress("drain", p, 0))
}

func TestEveryKeyIsARegisteredMetric(t *testing.T) {
	c := fill(50, 5)
	c.Observe(service.Event{Kind: service.Received, SentAt: t0, ReceivedAt: t0.Add(time.Millisecond)})
	m, _ := c.Result(t0, time.Now())
	for k, v := range PerMessage(Cost{CPUKnown: true}, Cost{CPU: time.Second, CPUKnown: true, Allocs: 10, AllocBytes: 100}, 5) {
		m[k] = v
	}
	require.Contains(t, m, "throughput")
	require.Contains(t, m, "stage.ack.p99")
	for k := range m {
		_, _, ok := metric.Resolve(k)
		assert.True(t, ok, "%s is not in runner/metric", k)
	}
}

// Four jobs taken on together: three finish in about a second, one is
// starved until four seconds. Its time in service is measured from the
// earliest receive of any of its tasks, and the spread names it.
func TestJobInServiceAndFairnessSpread(t *testing.T) {
	c := New()
	recv := t0.Add(10 * time.Millisecond)
	for j, done := range []time.Duration{time.Second, time.Second, 1100 * time.Millisecond, 4 * time.Second} {
		job := "j" + itoa(j)
		c.JobSent(job, taskIDs(job, 2), t0)
		for k := 0; k < 2; k++ {
			id := job + "/t" + itoa(k)
			// The second task came back through download-tasks: a later
			// receive, which must not move the job's start.
			r := recv
			if k == 1 {
				r = recv.Add(done / 2)
			}
			c.Observe(service.Event{Kind: service.Started, JobID: job, TaskID: id, ReceivedAt: r, StartedAt: r, At: r})
			c.Observe(service.Event{Kind: service.Finished, JobID: job, TaskID: id, StartedAt: r, At: recv.Add(done)})
		}
	}
	m, _ := c.Result(t0, recv.Add(4*time.Second))
	assert.InDelta(t, 4.0, m["latency.job_in_service.max"], 0.05)
	assert.InDelta(t, 1.0, m["latency.job_in_service.p50"], 0.05)
	assert.InDelta(t, 4.0, m["fairness.job_spread"], 0.1, "the starved job took four times the median")
}
