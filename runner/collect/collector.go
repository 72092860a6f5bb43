// Package collect accounts for every task the load driver sends and times
// each stage of its life from the service's events.
//
// Accounting is by task id and computed from sets: a task is processed
// when a Finished event named it, dead-lettered when it was found on the
// dead-letter queue (or the service dead-lettered its message), and lost
// when it was sent and is neither. Nothing is assumed from counts.
//
// Memory stays bounded as counts grow: per job the collector keeps 28
// bytes, per task three bits (ids of the load driver's scheme are parsed
// back into numbers instead of being stored), and stage timings go into
// fixed-size histograms.
package collect

import (
	"encoding/json"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/service"
)

// maxLostIDs is how many lost task ids a result names.
const maxLostIDs = 20

// Collector implements load's Recorder and service.Observer. All methods
// are safe for concurrent use.
type Collector struct {
	shards [shardCount]shard

	jobsSent, tasksSent          atomic.Int64
	processed, dead, settled     atomic.Int64 // settled: sent tasks processed or dead-lettered
	retried, duplicates          atomic.Int64
	failures, crashes, overflows atomic.Int64
	invalidEvents, invalidBodies atomic.Int64
	foreign                      atomic.Int64
	jobsDone                     atomic.Int64
	firstSend, lastFinish        atomic.Int64 // unix nanoseconds; 0 = none yet

	pending pendingBudget

	queueWait, dispatchWait, process, ack, jobLatency *durationHist
	// jobInService is, per job, its first receive to its last task done:
	// how long the service held the job. Jobs taken on together should
	// finish together when the pool is fair; a starved job stands out.
	jobInService *durationHist
}

// New returns an empty collector.
func New() *Collector {
	return &Collector{
		queueWait:    newDurationHist(),
		dispatchWait: newDurationHist(),
		process:      newDurationHist(),
		ack:          newDurationHist(),
		jobLatency:   newDurationHist(),
		jobInService: newDurationHist(),
	}
}

var _ service.Observer = (*Collector)(nil)

// pendingBudget counts events held for jobs not recorded yet.
type pendingBudget struct{ n atomic.Int64 }

func (b *pendingBudget) take() bool {
	if b.n.Add(1) > maxPending {
		b.n.Add(-1)
		return false
	}
	return true
}

// JobSent records a job that SQS accepted. at is when the load driver
// released it, so job latency includes any time the driver needed to get
// it accepted. Recording the same job twice has no
// effect.
func (c *Collector) JobSent(jobID string, taskIDs []string, at time.Time) {
	s := &c.shards[shardOf(jobID)]
	sentAt := at.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	j, isNew := s.addJob(jobID, taskIDs, sentAt)
	if !isNew {
		return
	}
	c.jobsSent.Add(1)
	c.tasksSent.Add(int64(len(taskIDs)))
	storeMin(&c.firstSend, sentAt)
	if evs, ok := s.pending[jobID]; ok {
		delete(s.pending, jobID)
		c.pending.n.Add(-int64(len(evs)))
		for _, ev := range evs {
			c.applyLocked(s, j, ev)
		}
	}
}

// Observe takes one service event. It does not allocate unless the event
// names a job the load driver has not recorded yet.
func (c *Collector) Observe(e service.Event) {
	switch e.Kind {
	case service.Received:
		c.queueWait.between(e.SentAt, e.ReceivedAt)
		return
	case service.Started:
		c.dispatchWait.between(e.ReceivedAt, e.StartedAt)
	case service.Finished:
		c.process.between(e.StartedAt, e.At)
	case service.Failed:
		c.process.between(e.StartedAt, e.At)
		c.failures.Add(1)
		return
	case service.Crashed:
		// A panic is a failed attempt too (the service retries it as
		// one), so it counts in failures as well as in crashes, and its
		// run time is processing time.
		c.process.between(e.StartedAt, e.At)
		c.failures.Add(1)
		c.crashes.Add(1)
		return
	case service.Overflowed:
		c.overflows.Add(1)
		return
	case service.Acked:
		c.ack.between(e.ReadyAt, e.At)
		return
	case service.DeadLettered:
		// The service dead-letters only messages it rejects as invalid;
		// when the message was one of ours, its tasks are accounted for.
		c.invalidEvents.Add(1)
		if e.JobID == "" && e.TaskID == "" {
			return
		}
	default:
		return
	}
	var recv int64
	if e.Kind == service.Started && !e.ReceivedAt.IsZero() {
		recv = e.ReceivedAt.UnixNano()
	}
	c.taskEvent(e.Kind, e.JobID, e.TaskID, e.At.UnixNano(), recv)
}

// taskEvent applies a Started, Finished or DeadLettered observation to the
// task (or, for a dead-lettered job message, every task of the job).
func (c *Collector) taskEvent(kind service.EventKind, jobID, taskID string, at, recv int64) {
	ev := pendingEvent{kind: kind, taskID: taskID, at: at, recv: recv}
	if owner, k, ok := parseTaskID(taskID); ok {
		jobID, ev.scheme, ev.k = owner, true, k
	} else if taskID == "" {
		if kind != service.DeadLettered {
			c.foreign.Add(1) // a task event that names no task
			return
		}
		ev.wholeJob = true
	}
	if jobID == "" {
		c.foreign.Add(1)
		return
	}
	s := &c.shards[shardOf(jobID)]
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.lookupJob(jobID)
	if !ok {
		if !s.keep(jobID, ev, &c.pending) {
			c.foreign.Add(1)
		}
		return
	}
	c.applyLocked(s, j, ev)
}

// applyLocked updates the sets. The caller holds s.mu.
func (c *Collector) applyLocked(s *shard, j int32, ev pendingEvent) {
	if ev.wholeJob {
		js := s.jobs[j]
		for bit := js.firstTask; bit < js.firstTask+js.tasks; bit++ {
			c.markDeadLocked(s, bit)
		}
		return
	}
	bit, ok := s.taskBit(j, ev.scheme, ev.k, ev.taskID)
	if !ok {
		c.foreign.Add(1) // the job was sent, but not with this task
		return
	}
	switch ev.kind {
	case service.Started:
		if !s.started.set(bit) {
			c.retried.Add(1)
		}
		if js := &s.jobs[j]; ev.recv != 0 && (js.receivedAt == 0 || ev.recv < js.receivedAt) {
			js.receivedAt = ev.recv
		}
	case service.Finished:
		if !s.processed.set(bit) {
			c.duplicates.Add(1)
			return
		}
		c.processed.Add(1)
		if !s.dead.has(bit) {
			c.settled.Add(1)
		}
		storeMax(&c.lastFinish, ev.at)
		js := &s.jobs[j]
		js.remaining--
		if js.remaining == 0 {
			c.jobsDone.Add(1)
			c.jobLatency.record(time.Duration(ev.at - js.sentAt))
			if js.receivedAt != 0 {
				c.jobInService.record(time.Duration(ev.at - js.receivedAt))
			}
		}
	case service.DeadLettered:
		c.markDeadLocked(s, bit)
	}
}

func (c *Collector) markDeadLocked(s *shard, bit uint32) {
	if !s.dead.set(bit) {
		return
	}
	c.dead.Add(1)
	if !s.processed.has(bit) {
		c.settled.Add(1)
	}
}

// dlqMessage is the union of the two bodies the runner can find on the
// dead-letter queue: a download task, or an export job.
type dlqMessage struct {
	JobID  string `json:"job_id"`
	TaskID string `json:"task_id"`
	Tasks  []struct {
		TaskID string `json:"task_id"`
	} `json:"tasks"`
}

// AddDeadLettered accounts for message bodies found on the dead-letter
// queue. A task message counts its task, an export-job message every task
// it lists. A body that is not JSON, or names neither a task nor a job
// with tasks, counts as invalid. Seeing the same task twice counts it once.
func (c *Collector) AddDeadLettered(bodies []string) {
	for _, body := range bodies {
		var m dlqMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			c.invalidBodies.Add(1)
			continue
		}
		switch {
		case m.TaskID != "":
			c.taskEvent(service.DeadLettered, m.JobID, m.TaskID, 0, 0)
		case m.JobID != "" && len(m.Tasks) > 0:
			for _, t := range m.Tasks {
				if t.TaskID == "" {
					continue
				}
				c.taskEvent(service.DeadLettered, m.JobID, t.TaskID, 0, 0)
			}
		default:
			c.invalidBodies.Add(1)
		}
	}
}

// Progress is a snapshot of the counts so far.
type Progress struct {
	JobsSent     int
	Sent         int // tasks sent
	Processed    int // tasks processed, once per id
	DeadLettered int // tasks found dead-lettered, once per id
	Settled      int // sent tasks processed or dead-lettered
	Invalid      int
	Failures     int
	Duplicates   int
	// Expected is the number of tasks the load will send, when the caller
	// knows it; the collector leaves it zero. FormatProgress shows it.
	Expected int
}

// Progress returns the counts so far. It is cheap enough to call often.
func (c *Collector) Progress() Progress {
	return Progress{
		JobsSent:     int(c.jobsSent.Load()),
		Sent:         int(c.tasksSent.Load()),
		Processed:    int(c.processed.Load()),
		DeadLettered: int(c.dead.Load()),
		Settled:      int(c.settled.Load()),
		Invalid:      int(max(c.invalidEvents.Load(), c.invalidBodies.Load())),
		Failures:     int(c.failures.Load()),
		Duplicates:   int(c.duplicates.Load()),
	}
}

// Done reports whether every task sent so far is processed or known to be
// dead-lettered. It is false before anything was sent.
func (c *Collector) Done() bool {
	sent := c.tasksSent.Load()
	return sent > 0 && c.settled.Load() >= sent
}

// Foreign counts observations (events or dead-letter bodies) that named a
// task the load driver never recorded as sent: leftovers of a warm-up, a
// job SQS accepted although the driver saw its send fail, or another
// producer on the same queues. They are not part of the accounting.
func (c *Collector) Foreign() int {
	n := c.foreign.Load()
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for _, evs := range s.pending {
			n += int64(len(evs))
		}
		s.mu.Unlock()
	}
	return int(n)
}

// Result computes the accounting and the metrics between start and end
// (the runner's start of load and end of drain). Lost tasks are counted
// from the sets, never derived from the other counts.
func (c *Collector) Result(start, end time.Time) (map[string]float64, result.Accounting) {
	acct := result.Accounting{
		JobsSent:     int(c.jobsSent.Load()),
		Sent:         int(c.tasksSent.Load()),
		Processed:    int(c.processed.Load()),
		Retried:      int(c.retried.Load()),
		Overflowed:   int(c.overflows.Load()),
		DeadLettered: int(c.dead.Load()),
		Invalid:      int(max(c.invalidEvents.Load(), c.invalidBodies.Load())),
		Failures:     int(c.failures.Load()),
		Crashes:      int(c.crashes.Load()),
		Duplicates:   int(c.duplicates.Load()),
	}
	var lost []lostTask
	for i := range c.shards {
		n, ids := c.shards[i].lost(i)
		acct.Lost += n
		lost = append(lost, ids...)
	}
	sort.Slice(lost, func(a, b int) bool { return lost[a].less(lost[b]) })
	for i := 0; i < len(lost) && i < maxLostIDs; i++ {
		acct.LostIDs = append(acct.LostIDs, lost[i].id)
	}

	m := map[string]float64{
		metric.JobsSent:     float64(acct.JobsSent),
		metric.Sent:         float64(acct.Sent),
		metric.Processed:    float64(acct.Processed),
		metric.Retried:      float64(acct.Retried),
		metric.Overflowed:   float64(acct.Overflowed),
		metric.DeadLettered: float64(acct.DeadLettered),
		metric.Invalid:      float64(acct.Invalid),
		metric.Failures:     float64(acct.Failures),
		metric.Crashes:      float64(acct.Crashes),
		metric.Duplicates:   float64(acct.Duplicates),
		metric.Lost:         float64(acct.Lost),
	}
	if acct.Processed > 0 {
		m[metric.DuplicatesRatio] = float64(acct.Duplicates) / float64(acct.Processed)
	}
	if end.After(start) {
		m[metric.RunDuration] = end.Sub(start).Seconds()
	}
	first, last := c.firstSend.Load(), c.lastFinish.Load()
	if first != 0 && last > first && acct.Processed > 0 {
		window := time.Duration(last - first).Seconds()
		m[metric.Throughput] = float64(acct.Processed) / window
		m[metric.ThroughputJobs] = float64(c.jobsDone.Load()) / window
	}
	c.jobLatency.addStats(m, metric.LatencyJob)
	c.jobInService.addStats(m, metric.LatencyJobInService)
	if p50 := m[metric.Key(metric.LatencyJobInService, "p50")]; p50 > 0 {
		m[metric.FairnessJobSpread] = m[metric.Key(metric.LatencyJobInService, "max")] / p50
	}
	c.queueWait.addStats(m, metric.StageQueueWait)
	c.dispatchWait.addStats(m, metric.StageDispatchWait)
	c.process.addStats(m, metric.StageProcess)
	c.ack.addStats(m, metric.StageAck)
	return m, acct
}

// lostTask names one lost task and sorts naturally (j2 before j10).
type lostTask struct {
	prefix string
	n, k   uint32
	id     string
}

func (a lostTask) less(b lostTask) bool {
	if a.prefix != b.prefix {
		return a.prefix < b.prefix
	}
	if a.n != b.n {
		return a.n < b.n
	}
	if a.k != b.k {
		return a.k < b.k
	}
	return a.id < b.id
}

// lost counts the shard's sent tasks that are neither processed nor dead,
// and names up to maxLostIDs of them, the lowest numbers first so that the
// union over shards holds the globally lowest ones.
func (s *shard) lost(shardNo int) (int, []lostTask) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, js := range s.jobs {
		for bit := js.firstTask; bit < js.firstTask+js.tasks; bit++ {
			if !s.processed.has(bit) && !s.dead.has(bit) {
				n++
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	var out []lostTask
	prefixes := make([]string, 0, len(s.byNumber))
	for p := range s.byNumber {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		for slot, v := range s.byNumber[p].slots {
			if v == 0 {
				continue
			}
			js := s.jobs[v-1]
			jobNo := uint32(slot*shardCount + shardNo)
			jobID := p + "j" + strconv.FormatUint(uint64(jobNo), 10)
			for k := uint32(0); k < js.tasks && len(out) < maxLostIDs; k++ {
				bit := js.firstTask + k
				if s.processed.has(bit) || s.dead.has(bit) {
					continue
				}
				id := jobID + "/t" + strconv.FormatUint(uint64(k), 10)
				if js.named {
					id = s.nameOfTask(bit)
				}
				out = append(out, lostTask{prefix: p, n: jobNo, k: k, id: id})
			}
		}
	}
	// Jobs outside the scheme sort by id; gather them all (they are rare:
	// only a user's own producer names jobs so) and keep the lowest.
	var named []lostTask
	for jobID, j := range s.byName {
		js := s.jobs[j]
		for k := uint32(0); k < js.tasks; k++ {
			bit := js.firstTask + k
			if s.processed.has(bit) || s.dead.has(bit) {
				continue
			}
			id := jobID + "/t" + strconv.FormatUint(uint64(k), 10)
			if js.named {
				id = s.nameOfTask(bit)
			}
			named = append(named, lostTask{prefix: jobID, n: 0, k: k, id: id})
		}
	}
	sort.Slice(named, func(a, b int) bool { return named[a].less(named[b]) })
	out = append(out, named[:min(len(named), maxLostIDs)]...)
	return n, out
}

// nameOfTask finds a task id outside the scheme by its bit; only used to
// name lost tasks, so a scan of the map is fine.
func (s *shard) nameOfTask(bit uint32) string {
	for id, b := range s.taskByName {
		if b == bit {
			return id
		}
	}
	return "?"
}

func storeMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if cur != 0 && cur <= v {
			return
		}
		if a.CompareAndSwap(cur, v) {
			return
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if cur >= v {
			return
		}
		if a.CompareAndSwap(cur, v) {
			return
		}
	}
}
