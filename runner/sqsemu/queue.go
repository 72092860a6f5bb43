package sqsemu

import (
	"container/list"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type msgState uint8

const (
	stateVisible msgState = iota
	stateInflight
	stateDelayed
	stateGone // deleted, expired, purged or moved; skipped where still referenced
)

type message struct {
	id           string
	body         string
	md5Body      string
	attrs        map[string]messageAttribute
	md5Attrs     string
	sysAttrs     map[string]messageAttribute
	md5SysAttrs  string
	senderID     string
	sentAt       time.Time
	enqueuedAt   time.Time // when it entered this queue: retention counts from here
	firstReceive time.Time
	lastReceive  time.Time
	receiveCount int
	visibleAt    time.Time
	state        msgState
	heapIndex    int
	receipt      uint64 // random, new at each receive: only the newest handle acts
	groupID      string
	dedupID      string
	seqNumber    uint64
	dlqSource    string // ARN of the queue it was dead-lettered from

	older, newer *message // enqueue order, for retention
}

type fifoGroup struct {
	id       string
	visible  []*message // sorted by sequence number
	inflight int
	listed   bool // present in queue.readyGroups
}

type dedupEntry struct {
	messageID string
	seqNumber uint64
	expires   time.Time
}

type waiter struct {
	max      int // messages it will take when woken
	ch       chan struct{}
	elem     *list.Element
	signaled bool
}

// queue holds one queue's state under its own lock, so traffic on one
// queue never waits for another.
type queue struct {
	h        *Handler
	name     string
	arn      string
	fifo     bool                          // fixed at creation; readable without the lock
	redrive  atomic.Pointer[redrivePolicy] // read without the lock before receiving
	mu       sync.Mutex
	cfg      queueConfig
	created  time.Time
	modified time.Time
	tags     map[string]string
	deleted  bool

	byID     map[string]*message
	visible  deque                 // standard queues
	groups   map[string]*fifoGroup // FIFO queues
	ready    []*fifoGroup          // FIFO groups with visible messages, oldest first
	inflight deadlineHeap
	delayed  deadlineHeap
	oldest   *message // head of the enqueue-order list
	newest   *message

	nVisible, nInflight, nDelayed int

	dedup      map[string]dedupEntry
	dedupOrder []string
	seq        uint64

	waiters  list.List
	promised int // messages that woken, not yet running receivers will take

	timer   Timer
	timerAt time.Time

	// tag is random per queue and carried by its receipt handles, so a
	// handle of another queue (or of a deleted queue of the same name) is
	// told apart from a stale one of this queue.
	tag [8]byte
	// receipts draws the random part of receipt handles (under mu): a
	// ChaCha8 seeded from crypto/rand, unpredictable to clients without a
	// system call per receive.
	receipts *rand.ChaCha8
}

func newQueue(h *Handler, name string, cfg queueConfig, now time.Time) *queue {
	q := &queue{
		h: h, name: name, arn: h.arn(name), fifo: cfg.fifo, cfg: cfg, created: now, modified: now,
		tags: map[string]string{}, byID: map[string]*message{},
	}
	if cfg.fifo {
		q.groups = map[string]*fifoGroup{}
		q.dedup = map[string]dedupEntry{}
	}
	q.redrive.Store(cfg.redrive)
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails on supported platforms
	copy(q.tag[:], seed[:8])
	_, _ = crand.Read(seed[:])
	q.receipts = rand.NewChaCha8(seed)
	return q
}

// newReceiptLocked returns a fresh non-zero receipt number.
func (q *queue) newReceiptLocked() uint64 {
	for {
		if n := q.receipts.Uint64(); n != 0 {
			return n
		}
	}
}

// --- state transitions (all with q.mu held) ---

func (q *queue) makeVisibleLocked(m *message) {
	m.state = stateVisible
	q.nVisible++
	if !q.cfg.fifo {
		q.visible.pushBack(m)
		return
	}
	g := q.groups[m.groupID]
	if g == nil {
		g = &fifoGroup{id: m.groupID}
		q.groups[m.groupID] = g
	}
	// Keep the group in sequence order: a message returning after its
	// visibility timeout goes back ahead of later ones.
	i := sort.Search(len(g.visible), func(i int) bool { return g.visible[i].seqNumber > m.seqNumber })
	g.visible = append(g.visible, nil)
	copy(g.visible[i+1:], g.visible[i:])
	g.visible[i] = m
	if !g.listed {
		g.listed = true
		q.ready = append(q.ready, g)
	}
}

// removeLocked takes m out of the queue for good.
func (q *queue) removeLocked(m *message) {
	switch m.state {
	case stateGone:
		return
	case stateVisible:
		q.nVisible-- // the deque or group entry is skipped lazily
	case stateInflight:
		q.nInflight--
		q.inflight.remove(m)
		if q.cfg.fifo {
			q.releaseGroupLocked(m.groupID)
		}
	case stateDelayed:
		q.nDelayed--
		q.delayed.remove(m)
	}
	m.state = stateGone
	q.unlinkLocked(m)
}

// unlinkLocked forgets m: no receipt handle finds it, retention skips it.
func (q *queue) unlinkLocked(m *message) {
	delete(q.byID, m.id)
	if m.older != nil {
		m.older.newer = m.newer
	} else if q.oldest == m {
		q.oldest = m.newer
	}
	if m.newer != nil {
		m.newer.older = m.older
	} else if q.newest == m {
		q.newest = m.older
	}
	m.older, m.newer = nil, nil
}

func (q *queue) releaseGroupLocked(groupID string) {
	g := q.groups[groupID]
	if g == nil {
		return
	}
	g.inflight--
	if g.inflight == 0 {
		if len(g.visible) > 0 {
			q.wakeLocked()
		} else if !g.listed {
			delete(q.groups, groupID)
		}
	}
}

// enqueueLocked adds a new message (already filled in) to the queue.
func (q *queue) enqueueLocked(m *message, delay time.Duration, now time.Time) {
	m.enqueuedAt = now
	m.heapIndex = -1
	q.byID[m.id] = m
	m.older = q.newest
	if q.newest != nil {
		q.newest.newer = m
	} else {
		q.oldest = m
	}
	q.newest = m
	if delay > 0 {
		m.state = stateDelayed
		m.visibleAt = now.Add(delay)
		q.nDelayed++
		q.delayed.push(m)
		q.scheduleLocked(m.visibleAt)
		return
	}
	q.makeVisibleLocked(m)
	q.wakeLocked()
}

// advanceLocked applies everything due by now: ended visibility
// timeouts and delays, retention expiry and FIFO deduplication windows.
// It touches only what is due, never every message.
func (q *queue) advanceLocked(now time.Time) {
	woken := 0
	for m := q.inflight.top(); m != nil && !m.visibleAt.After(now); m = q.inflight.top() {
		q.inflight.remove(m)
		q.nInflight--
		q.makeVisibleLocked(m)
		if q.cfg.fifo {
			q.releaseGroupLocked(m.groupID)
		}
		woken++
	}
	for m := q.delayed.top(); m != nil && !m.visibleAt.After(now); m = q.delayed.top() {
		q.delayed.remove(m)
		q.nDelayed--
		q.makeVisibleLocked(m)
		woken++
	}
	retention := time.Duration(q.cfg.retentionPeriod) * time.Second
	for m := q.oldest; m != nil && !m.enqueuedAt.Add(retention).After(now); m = q.oldest {
		q.observe(EventExpired, m, now)
		q.removeLocked(m)
	}
	for len(q.dedupOrder) > 0 {
		id := q.dedupOrder[0]
		if e, ok := q.dedup[id]; ok && e.expires.After(now) {
			break
		} else if ok {
			delete(q.dedup, id)
		}
		q.dedupOrder = q.dedupOrder[1:]
	}
	if woken > 0 {
		q.wakeLocked()
	}
}

// nextDeadlineLocked is the earliest time advanceLocked has work to do.
func (q *queue) nextDeadlineLocked() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(q.inflight.nextAt())
	consider(q.delayed.nextAt())
	if q.oldest != nil {
		consider(q.oldest.enqueuedAt.Add(time.Duration(q.cfg.retentionPeriod) * time.Second))
	}
	return next
}

// scheduleLocked makes sure the queue's single timer fires no later than
// at. A timer already due earlier is kept (it reschedules itself when it
// fires), so the common case of a later deadline costs nothing.
func (q *queue) scheduleLocked(at time.Time) {
	if at.IsZero() || q.deleted || q.h.closed.Load() {
		return
	}
	if q.timer != nil {
		if !q.timerAt.After(at) {
			return
		}
		q.timer.Stop()
	}
	d := at.Sub(q.h.clock.Now())
	q.timerAt = at
	q.timer = q.h.clock.AfterFunc(d, q.onTimer)
}

func (q *queue) onTimer() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	q.timer, q.timerAt = nil, time.Time{}
	q.advanceLocked(q.h.clock.Now())
	q.scheduleLocked(q.nextDeadlineLocked())
}

func (q *queue) stopTimerLocked() {
	if q.timer != nil {
		q.timer.Stop()
		q.timer, q.timerAt = nil, time.Time{}
	}
}

// --- waiting receivers ---

func (q *queue) addWaiterLocked(max int) *waiter {
	w := &waiter{max: max, ch: make(chan struct{}, 1)}
	w.elem = q.waiters.PushBack(w)
	return w
}

// wakeLocked wakes parked receivers, oldest first, until those woken
// and not yet back will together take every visible message: a batch of
// ten wakes one receiver that takes ten, not ten receivers.
func (q *queue) wakeLocked() {
	for q.nVisible > q.promised {
		e := q.waiters.Front()
		if e == nil {
			return
		}
		q.signalLocked(q.waiters.Remove(e).(*waiter))
	}
}

func (q *queue) signalLocked(w *waiter) {
	w.signaled = true
	q.promised += w.max
	w.ch <- struct{}{}
}

func (q *queue) wakeAllLocked() {
	for e := q.waiters.Front(); e != nil; e = q.waiters.Front() {
		q.signalLocked(q.waiters.Remove(e).(*waiter))
	}
}

// resumeLocked is called by a woken receiver once it holds the lock again.
func (q *queue) resumeLocked(w *waiter) { q.promised -= w.max }

// leaveLocked parks out a waiter that stops waiting. If it had been woken
// for a message it will not take, the wake-up passes to the next one.
func (q *queue) leaveLocked(w *waiter) {
	if !w.signaled {
		q.waiters.Remove(w.elem)
		return
	}
	q.resumeLocked(w)
	q.wakeLocked()
}

// --- receiving ---

// takeLocked hands out up to max visible messages, making them in flight
// for visibility. Messages over the redrive limit are unlinked and
// returned in moved for the caller to put on the dead-letter queue
// (after releasing this queue's lock, so two queues are never locked at
// once).
func (q *queue) takeLocked(now time.Time, max int, visibility time.Duration, maxReceives int) (got, moved []*message) {
	take := func(m *message) {
		if maxReceives > 0 && m.receiveCount >= maxReceives {
			q.nVisible--
			m.state = stateGone
			q.unlinkLocked(m)
			moved = append(moved, m)
			return
		}
		q.nVisible--
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.lastReceive = now
		m.receipt = q.newReceiptLocked()
		m.state = stateInflight
		m.visibleAt = now.Add(visibility)
		q.nInflight++
		q.inflight.push(m)
		got = append(got, m)
		q.observe(EventReceived, m, now)
	}
	if !q.cfg.fifo {
		if n := min(max, q.visible.len()); n > 0 {
			got = make([]*message, 0, n) // one allocation, not one per doubling
		}
		for len(got) < max && q.visible.len() > 0 {
			m := q.visible.popFront()
			if m.state != stateVisible {
				continue
			}
			take(m)
		}
	} else {
		q.takeFIFOLocked(max, &got, take)
	}
	if len(got) > 0 {
		q.scheduleLocked(now.Add(visibility))
	}
	return got, moved
}

func (q *queue) takeFIFOLocked(max int, got *[]*message, take func(*message)) {
	kept := q.ready[:0]
	for _, g := range q.ready {
		if len(*got) < max && g.inflight == 0 {
			// Take a run from the front of the group; the group then stays
			// blocked until every one of them is deleted or visible again.
			before := len(*got)
			for len(*got) < max && len(g.visible) > 0 {
				m := g.visible[0]
				g.visible[0] = nil
				g.visible = g.visible[1:]
				if m.state != stateVisible {
					continue
				}
				take(m)
			}
			g.inflight += len(*got) - before
		} else {
			// drop entries gone since they were listed
			for len(g.visible) > 0 && g.visible[0].state != stateVisible {
				g.visible = g.visible[1:]
			}
		}
		if len(g.visible) > 0 {
			kept = append(kept, g)
			continue
		}
		g.listed = false
		if g.inflight == 0 {
			delete(q.groups, g.id)
		}
	}
	for i := len(kept); i < len(q.ready); i++ {
		q.ready[i] = nil
	}
	q.ready = kept
}

// purgeLocked drops every message.
func (q *queue) purgeLocked() {
	for m := q.oldest; m != nil; {
		next := m.newer
		q.observe(EventPurged, m, time.Time{})
		m.state = stateGone
		m.older, m.newer = nil, nil
		m = next
	}
	q.oldest, q.newest = nil, nil
	q.byID = map[string]*message{}
	q.visible.reset()
	if q.cfg.fifo {
		q.groups = map[string]*fifoGroup{}
		q.ready = nil
	}
	q.inflight, q.delayed = nil, nil
	q.nVisible, q.nInflight, q.nDelayed = 0, 0, 0
}

// dedupKey is the FIFO deduplication key for a message.
func dedupKey(dedupID, body string, contentBased bool) string {
	if dedupID != "" {
		return "id:" + dedupID
	}
	if contentBased {
		sum := sha256.Sum256([]byte(body))
		return "sha:" + hex.EncodeToString(sum[:])
	}
	return ""
}

func formatSeq(n uint64) string {
	// SQS sequence numbers are 20-digit decimal strings; a fixed base
	// keeps them the same width so they sort as strings and as numbers.
	return strconv.FormatUint(10000000000000000000+n, 10)
}
