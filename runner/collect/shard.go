package collect

import (
	"sync"

	"github.com/sqsperf/sqsperf/service"
)

// shardCount spreads jobs over independent locks so that the service's
// workers rarely wait for each other inside Observe.
const shardCount = 16

// denseSlack is how far past the end of a prefix's dense index a job
// number may land before the job is kept in the map instead: it stops a
// stray huge number ("j2000000000") from allocating gigabytes.
const denseSlack = 1 << 16

// maxPending bounds the events kept for jobs not (yet) recorded as sent.
// Past it such events are only counted, so a service that reports ids the
// runner never sent cannot grow the collector without bound.
const maxPending = 1 << 16

// bitset holds one bit per task.
type bitset []uint64

// set sets bit i and reports whether it was clear before.
func (b bitset) set(i uint32) bool {
	w, m := i>>6, uint64(1)<<(i&63)
	was := b[w]&m != 0
	b[w] |= m
	return !was
}

func (b bitset) has(i uint32) bool { return b[i>>6]&(uint64(1)<<(i&63)) != 0 }

// grown returns b with room for n bits.
func (b bitset) grown(n uint32) bitset {
	words := int(n+63) / 64
	for len(b) < words {
		b = append(b, 0)
	}
	return b
}

// jobState is all the collector keeps per job: 32 bytes, plus 4 bytes of
// index and three bits per task.
type jobState struct {
	sentAt int64 // unix nanoseconds of the job's release by the load driver
	// receivedAt is the earliest receive of a message carrying one of the
	// job's tasks (the job message itself, for tasks run from it): the
	// moment the service took the job on. Zero until a task starts.
	receivedAt int64
	firstTask  uint32 // bit index of the job's first task in the shard's bitsets
	tasks      uint32
	remaining  uint32 // tasks not processed yet; the job is complete at zero
	named      bool   // task ids outside the scheme, found through taskByName
}

// numberIndex maps a job number N of one prefix to its job: slot N/shardCount
// holds the job index plus one (zero: no such job).
type numberIndex struct{ slots []int32 }

// pendingEvent is an observation for a job the load driver has not
// recorded yet. It happens legitimately: SQS delivers a message to the
// service before the SendMessageBatch response reaches the driver.
type pendingEvent struct {
	kind     service.EventKind
	wholeJob bool   // DeadLettered for the job message itself
	scheme   bool   // k is valid
	k        uint32 // task number within the job
	taskID   string // for tasks outside the scheme
	at       int64
	recv     int64 // Started: when the carrying message was received
}

type shard struct {
	mu         sync.Mutex
	byNumber   map[string]*numberIndex
	byName     map[string]int32  // jobs outside the scheme
	taskByName map[string]uint32 // tasks outside the scheme -> bit index
	jobs       []jobState
	tasks      uint32 // bits in use
	started    bitset // a worker started the task at least once
	processed  bitset // the task finished successfully at least once
	dead       bitset // the task was found dead-lettered
	pending    map[string][]pendingEvent
	_          [64]byte // keeps neighbouring shards' locks off one cache line
}

// lookupJob finds a recorded job. The caller holds s.mu.
func (s *shard) lookupJob(jobID string) (int32, bool) {
	if prefix, n, ok := parseJobID(jobID); ok {
		if ix := s.byNumber[prefix]; ix != nil {
			slot := n / shardCount
			if int(slot) < len(ix.slots) && ix.slots[slot] != 0 {
				return ix.slots[slot] - 1, true
			}
		}
	}
	j, ok := s.byName[jobID]
	return j, ok
}

// addJob records a job and its tasks. It returns false for a job already
// recorded. The caller holds s.mu.
func (s *shard) addJob(jobID string, taskIDs []string, sentAt int64) (int32, bool) {
	if _, dup := s.lookupJob(jobID); dup {
		return 0, false
	}
	j := int32(len(s.jobs))
	js := jobState{sentAt: sentAt, firstTask: s.tasks, tasks: uint32(len(taskIDs)), remaining: uint32(len(taskIDs))}
	for i, id := range taskIDs {
		owner, k, ok := parseTaskID(id)
		if !ok || owner != jobID || k != uint32(i) {
			js.named = true
			break
		}
	}
	if js.named {
		if s.taskByName == nil {
			s.taskByName = map[string]uint32{}
		}
		for i, id := range taskIDs {
			s.taskByName[id] = js.firstTask + uint32(i)
		}
	}
	s.jobs = append(s.jobs, js)
	s.tasks += js.tasks
	s.started = s.started.grown(s.tasks)
	s.processed = s.processed.grown(s.tasks)
	s.dead = s.dead.grown(s.tasks)

	if prefix, n, ok := parseJobID(jobID); ok {
		if s.byNumber == nil {
			s.byNumber = map[string]*numberIndex{}
		}
		ix := s.byNumber[prefix]
		if ix == nil {
			ix = &numberIndex{}
			s.byNumber[prefix] = ix
		}
		slot := int(n / shardCount)
		if slot < len(ix.slots)+denseSlack {
			for len(ix.slots) <= slot {
				ix.slots = append(ix.slots, 0)
			}
			ix.slots[slot] = j + 1
			return j, true
		}
	}
	if s.byName == nil {
		s.byName = map[string]int32{}
	}
	s.byName[jobID] = j
	return j, true
}

// taskBit resolves a task of job j to its bit. The caller holds s.mu.
func (s *shard) taskBit(j int32, scheme bool, k uint32, taskID string) (uint32, bool) {
	js := &s.jobs[j]
	if !js.named {
		if scheme && k < js.tasks {
			return js.firstTask + k, true
		}
		return 0, false
	}
	bit, ok := s.taskByName[taskID]
	if !ok || bit < js.firstTask || bit >= js.firstTask+js.tasks {
		return 0, false
	}
	return bit, true
}

// keep holds an event for a job not recorded yet and reports whether it
// was kept. The caller holds s.mu.
func (s *shard) keep(jobID string, ev pendingEvent, budget *pendingBudget) bool {
	if !budget.take() {
		return false
	}
	if s.pending == nil {
		s.pending = map[string][]pendingEvent{}
	}
	s.pending[jobID] = append(s.pending[jobID], ev)
	return true
}
