package service

import "sync"

// workItem is one task waiting for or running on a worker.
type workItem struct {
	task Task
	msg  *message // the carrying message: the job's, or the task's own
	job  *jobRun  // nil when the task came from the tasks queue
	// attempt numbers the tries of this task across deliveries; injected
	// failures depend on it so a retry is a fresh draw.
	attempt int
}

// evictable reports whether the item may be pushed out of the internal
// queue to make room for another job. Only job tasks qualify: they can be
// handed to the tasks queue. A task message already came from there, and
// sending it back would cost a receive count towards the dead-letter
// queue.
func (w *workItem) evictable() bool { return w.job != nil }

// jobQueue holds the queued tasks of one job (tasks from the tasks queue
// are grouped by their job id too).
type jobQueue struct {
	key       string
	items     []*workItem
	head      int
	evictable int
}

func (q *jobQueue) len() int { return len(q.items) - q.head }

func (q *jobQueue) push(w *workItem) {
	q.items = append(q.items, w)
	if w.evictable() {
		q.evictable++
	}
}

func (q *jobQueue) pop() *workItem {
	w := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	if w.evictable() {
		q.evictable--
	}
	return w
}

// evictNewest removes the most recently queued evictable task.
func (q *jobQueue) evictNewest() *workItem {
	for i := len(q.items) - 1; i >= q.head; i-- {
		w := q.items[i]
		if !w.evictable() {
			continue
		}
		copy(q.items[i:], q.items[i+1:])
		q.items[len(q.items)-1] = nil
		q.items = q.items[:len(q.items)-1]
		q.evictable--
		return w
	}
	return nil
}

// scheduler is the internal queue: bounded, with one FIFO per job and
// round-robin between jobs, so a small job's tasks are interleaved with a
// large job's instead of waiting behind all of them. When it is full, a
// job's task may push out the newest task of the job that holds the most
// slots (that task is handed to the tasks queue instead), so a newcomer
// always gets a share of the queue; otherwise the incoming task is the one
// to overflow.
type scheduler struct {
	mu        sync.Mutex
	workReady sync.Cond
	spaceFree sync.Cond
	capacity  int
	queued    int
	byJob     map[string]*jobQueue
	ring      []*jobQueue
	next      int
	spare     []*jobQueue
	// intakeClosed: shutdown began; callers waiting for space give up.
	intakeClosed bool
	// finishing: nothing more will be pushed; workers leave once empty.
	finishing bool
	// closed: workers leave now, queued items stay (their leases are
	// released by the shutdown).
	closed bool
}

func newScheduler(capacity int) *scheduler {
	s := &scheduler{capacity: capacity, byJob: make(map[string]*jobQueue)}
	s.workReady.L = &s.mu
	s.spaceFree.L = &s.mu
	return s
}

func (s *scheduler) queueFor(key string) *jobQueue {
	if q, ok := s.byJob[key]; ok {
		return q
	}
	var q *jobQueue
	if n := len(s.spare); n > 0 {
		q, s.spare = s.spare[n-1], s.spare[:n-1]
	} else {
		q = &jobQueue{}
	}
	q.key = key
	s.byJob[key] = q
	s.ring = append(s.ring, q)
	return q
}

func (s *scheduler) pushLocked(w *workItem) {
	s.queueFor(w.task.JobID).push(w)
	s.queued++
	s.workReady.Signal()
}

// offerResult says what became of an offered task.
type offerResult uint8

const (
	offerQueued   offerResult = iota
	offerOverflow             // the queue is full: the caller hands the task off
	offerClosed               // shutting down: the caller keeps the job for release
)

// offer queues a job's task without waiting. If the queue is full it may
// evict another job's task to make room (returned as evicted, to be handed
// off by the caller).
func (s *scheduler) offer(w *workItem) (result offerResult, evicted *workItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return offerClosed, nil
	}
	if s.queued < s.capacity {
		s.pushLocked(w)
		return offerQueued, nil
	}
	own := 0
	if q, ok := s.byJob[w.task.JobID]; ok {
		own = q.len()
	}
	var victim *jobQueue
	for _, q := range s.ring {
		if q.evictable > 0 && q.len() > own+1 && (victim == nil || q.len() > victim.len()) {
			victim = q
		}
	}
	if victim == nil {
		return offerOverflow, nil
	}
	evicted = victim.evictNewest()
	s.queued--
	s.pushLocked(w)
	return offerQueued, evicted
}

// pushWait queues a task message, waiting for space. It returns false if
// shutdown began before space was found.
func (s *scheduler) pushWait(w *workItem) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.queued >= s.capacity && !s.intakeClosed && !s.closed {
		s.spaceFree.Wait()
	}
	if s.queued >= s.capacity || s.closed {
		return false
	}
	s.pushLocked(w)
	return true
}

// waitSpace blocks until the queue has room and returns how much, or 0
// once shutdown began.
func (s *scheduler) waitSpace() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.queued >= s.capacity && !s.intakeClosed && !s.closed {
		s.spaceFree.Wait()
	}
	if s.intakeClosed || s.closed {
		return 0
	}
	return s.capacity - s.queued
}

// pop takes the next task in round-robin order between jobs, waiting for
// one; ok is false when the worker should leave.
func (s *scheduler) pop() (w *workItem, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.queued == 0 && !s.finishing && !s.closed {
		s.workReady.Wait()
	}
	if s.closed || s.queued == 0 {
		return nil, false
	}
	if s.next >= len(s.ring) {
		s.next = 0
	}
	q := s.ring[s.next]
	w = q.pop()
	s.queued--
	if q.len() == 0 {
		s.removeAt(s.next)
	} else {
		s.next++
	}
	s.spaceFree.Broadcast()
	return w, true
}

func (s *scheduler) removeAt(i int) {
	q := s.ring[i]
	copy(s.ring[i:], s.ring[i+1:])
	s.ring[len(s.ring)-1] = nil
	s.ring = s.ring[:len(s.ring)-1]
	delete(s.byJob, q.key)
	q.key, q.items, q.head, q.evictable = "", q.items[:0], 0, 0
	if len(s.spare) < 64 {
		s.spare = append(s.spare, q)
	}
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued
}

func (s *scheduler) closeIntake() {
	s.mu.Lock()
	s.intakeClosed = true
	s.mu.Unlock()
	s.spaceFree.Broadcast()
}

func (s *scheduler) finish() {
	s.mu.Lock()
	s.finishing = true
	s.mu.Unlock()
	s.workReady.Broadcast()
}

func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.workReady.Broadcast()
	s.spaceFree.Broadcast()
}
