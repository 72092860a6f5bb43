// Package ledger accounts for every message from the SQS server's view:
// it consumes the embedded server's events (sqsemu.WithObserver) and
// tells, per message id, whether it was processed (deleted),
// dead-lettered, is still waiting or in flight, or was lost, with queue
// wait, time in service and redeliveries. It needs nothing from the
// consumer, so it accounts for a service in any language.
//
// # What "lost" means
//
// Summarize classifies each message at an instant `at`, in this order:
//
//   - processed: deleted from the queue it was sent to.
//   - dead-lettered: moved to a dead-letter queue by the redrive policy
//     (whatever happens on the dead-letter queue afterwards).
//   - lost: purged, dropped with its queue, or expired by retention
//     without being deleted; or received and then neither deleted nor
//     handed back while its visibility timeout ran out, and not
//     received again since. Nobody is accountable for such a message:
//     the consumer took it and went silent, and only SQS's timeout
//     would bring it back.
//   - in flight: received, and its visibility timeout (as last set by the
//     receive or a ChangeMessageVisibility) has not run out at `at`.
//   - waiting: never received yet (visible or delayed), or handed back
//     by the consumer: ChangeMessageVisibility to 0 (a release) or to a
//     retry delay, after which the message is the queue's again.
//
// A message whose receive timed out is lost only until someone receives
// it again: retries through the visibility timeout show as lost for a
// moment mid-run. Judge lost at the end of a run, after the consumer
// stopped and once the visibility timeout has passed: then in flight
// means the consumer held the message without releasing it on shutdown
// (it will come back, late), and lost means it never will be processed
// by anyone who knows of it.
package ledger

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// Life is what the server saw of one message. Its size is fixed: it
// keeps counts and the first and last times, never a list per receive.
type Life struct {
	ID     string    `json:"id"`
	Queue  string    `json:"queue"` // the queue it was sent to
	SentAt time.Time `json:"sent_at"`
	// Receives counts receives on Queue (the dead-letter queue's own
	// receives are not redeliveries of the work).
	Receives     int       `json:"receives"`
	FirstReceive time.Time `json:"first_receive,omitzero"`
	LastReceive  time.Time `json:"last_receive,omitzero"`
	// VisibleAt is when the message is (or was) due to be visible again
	// after the last receive or visibility change.
	VisibleAt time.Time `json:"visible_at,omitzero"`
	// HandedBack: the last word on visibility came from the consumer
	// (ChangeMessageVisibility), not from the receive's default timeout.
	HandedBack     bool      `json:"handed_back,omitempty"`
	DeletedAt      time.Time `json:"deleted_at,omitzero"`
	DeadLetteredAt time.Time `json:"dead_lettered_at,omitzero"`
	DeadLetterQ    string    `json:"dead_letter_queue,omitempty"`
	// Gone is how the server dropped it undeleted: purged, queue-deleted
	// or expired (empty if it did not).
	Gone   string    `json:"gone,omitempty"`
	GoneAt time.Time `json:"gone_at,omitzero"`
}

const shards = 32

type shard struct {
	mu    sync.Mutex
	lives map[string]*Life
}

// Ledger collects events. It is safe for concurrent use; Observe is
// quick (one map lookup under one of 32 locks) because the server calls
// it with a queue locked.
type Ledger struct {
	now    func() time.Time
	shards [shards]shard
}

// New returns an empty ledger whose Summary uses the wall clock.
func New() *Ledger { return NewWithClock(time.Now) }

// NewWithClock returns an empty ledger whose Summary asks now for the
// time; pass the server's clock (e.g. a sqsemu.FakeClock's Now).
func NewWithClock(now func() time.Time) *Ledger {
	l := &Ledger{now: now}
	for i := range l.shards {
		l.shards[i].lives = map[string]*Life{}
	}
	return l
}

func (l *Ledger) shard(id string) *shard {
	// FNV-1a: cheap, no allocation, spreads SQS's hex ids well.
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return &l.shards[h%shards]
}

// Observe records one server event; pass it to sqsemu.WithObserver.
// Events for a message the ledger has not seen sent (it was attached
// late) start its life from the event's SentAt and queue.
func (l *Ledger) Observe(e sqsemu.Event) {
	s := l.shard(e.MessageID)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.lives[e.MessageID]
	if m == nil {
		m = &Life{ID: e.MessageID, Queue: e.Queue, SentAt: e.SentAt}
		if e.Kind == sqsemu.EventDeadLettered {
			m.Queue = e.FromQueue
		}
		s.lives[e.MessageID] = m
	}
	if !m.DeadLetteredAt.IsZero() && e.Kind != sqsemu.EventDeadLettered {
		return // its life as work ended on the dead-letter queue
	}
	switch e.Kind {
	case sqsemu.EventSent:
		m.VisibleAt = e.VisibleAt
	case sqsemu.EventReceived:
		m.Receives = max(m.Receives+1, e.ReceiveCount)
		if m.FirstReceive.IsZero() {
			m.FirstReceive = e.At
		}
		m.LastReceive = e.At
		m.VisibleAt = e.VisibleAt
		m.HandedBack = false
	case sqsemu.EventVisibilityChanged:
		m.VisibleAt = e.VisibleAt
		m.HandedBack = true
	case sqsemu.EventDeleted:
		m.DeletedAt = e.At
	case sqsemu.EventDeadLettered:
		if m.DeadLetteredAt.IsZero() {
			m.DeadLetteredAt, m.DeadLetterQ = e.At, e.Queue
		}
	case sqsemu.EventPurged, sqsemu.EventQueueDeleted, sqsemu.EventExpired:
		if m.DeletedAt.IsZero() && m.Gone == "" {
			m.Gone, m.GoneAt = e.Kind.String(), e.At
		}
	}
}

// Lives returns a copy of every message's life, in no particular order.
func (l *Ledger) Lives() []Life {
	var out []Life
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for _, m := range s.lives {
			out = append(out, *m)
		}
		s.mu.Unlock()
	}
	return out
}

// Summary summarises the ledger now (by its clock).
func (l *Ledger) Summary() Summary { return Summarize(l.Lives(), l.now()) }

// SentSince keeps the lives of messages sent at or after since: a run's
// measured window without its warm-up, whose messages were all settled
// (and sent) before the window began. The zero time keeps every life.
func SentSince(lives []Life, since time.Time) []Life {
	if since.IsZero() {
		return lives
	}
	out := lives[:0:0]
	for _, m := range lives {
		if !m.SentAt.Before(since) {
			out = append(out, m)
		}
	}
	return out
}

// Outcome is where a message stands at an instant; see the package doc.
type Outcome string

const (
	Processed    Outcome = "processed"
	DeadLettered Outcome = "dead-lettered"
	Lost         Outcome = "lost"
	InFlight     Outcome = "in-flight"
	Waiting      Outcome = "waiting"
)

// Classify tells where m stands at at, and for a lost message why.
func Classify(m Life, at time.Time) (Outcome, string) {
	switch {
	case !m.DeletedAt.IsZero():
		return Processed, ""
	case !m.DeadLetteredAt.IsZero():
		return DeadLettered, ""
	case m.Gone != "":
		return Lost, m.Gone + " before it was deleted"
	case m.Receives == 0:
		return Waiting, ""
	case m.VisibleAt.After(at):
		return InFlight, ""
	case m.HandedBack:
		return Waiting, ""
	default:
		return Lost, "visibility timeout ran out after a receive, without delete or release"
	}
}

// Counts are message counts by outcome.
type Counts struct {
	Sent         int `json:"sent"`
	Processed    int `json:"processed"`
	DeadLettered int `json:"dead_lettered"`
	Lost         int `json:"lost"`
	InFlight     int `json:"in_flight"`
	Waiting      int `json:"waiting"`
}

func (c *Counts) add(o Outcome) {
	c.Sent++
	switch o {
	case Processed:
		c.Processed++
	case DeadLettered:
		c.DeadLettered++
	case Lost:
		c.Lost++
	case InFlight:
		c.InFlight++
	case Waiting:
		c.Waiting++
	}
}

// Durations summarises a set of durations (nanoseconds in JSON).
type Durations struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P95   time.Duration `json:"p95_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

func summarize(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	q := func(p float64) time.Duration { return ds[int(p*float64(len(ds)-1)+0.5)] }
	return Durations{Count: len(ds), Mean: sum / time.Duration(len(ds)), P50: q(0.50), P90: q(0.90), P95: q(0.95), P99: q(0.99), Max: ds[len(ds)-1]}
}

// LostMessage names one lost message and why it counts as lost.
type LostMessage struct {
	ID       string    `json:"id"`
	Queue    string    `json:"queue"`
	SentAt   time.Time `json:"sent_at"`
	Receives int       `json:"receives"`
	Reason   string    `json:"reason"`
}

// Summary is the accounting at one instant.
type Summary struct {
	At time.Time `json:"at"`
	Counts
	// Redeliveries counts receives beyond each message's first, before
	// any dead-lettering; Redelivered counts messages received twice or more.
	Redeliveries int `json:"redeliveries"`
	Redelivered  int `json:"redelivered"`
	// QueueWait is send to first receive, over messages received at least once.
	QueueWait Durations `json:"queue_wait"`
	// TimeInService is first receive to delete, over processed messages.
	TimeInService Durations `json:"time_in_service"`
	// LostIDs lists every lost message, by queue, send time and id.
	LostIDs []LostMessage `json:"lost_ids"`
	// InFlightIDs and DeadLetteredIDs name the other messages that were
	// not processed, in the same order: after the consumer stopped, one
	// held and never released, or one it failed (or silently dropped)
	// until the redrive policy gave up on it, is as much its failure as
	// a lost one.
	InFlightIDs     []LostMessage `json:"in_flight_ids,omitempty"`
	DeadLetteredIDs []LostMessage `json:"dead_lettered_ids,omitempty"`
	// Queues breaks the counts down by the queue a message was sent to.
	Queues map[string]Counts `json:"queues"`
}

// Settled reports whether every message sent has an end: processed or
// dead-lettered. A test waits for this before stopping the consumer.
func (s Summary) Settled() bool { return s.Sent > 0 && s.Processed+s.DeadLettered == s.Sent }

// Summarize computes the accounting of lives at at. It is pure: the same
// lives and instant give the same summary.
func Summarize(lives []Life, at time.Time) Summary {
	s := Summary{At: at, Queues: map[string]Counts{}, LostIDs: []LostMessage{}}
	var wait, service []time.Duration
	for _, m := range lives {
		o, reason := Classify(m, at)
		s.Counts.add(o)
		qc := s.Queues[m.Queue]
		qc.add(o)
		s.Queues[m.Queue] = qc
		if m.Receives > 1 {
			s.Redeliveries += m.Receives - 1
			s.Redelivered++
		}
		if !m.FirstReceive.IsZero() {
			wait = append(wait, m.FirstReceive.Sub(m.SentAt))
			if o == Processed {
				service = append(service, m.DeletedAt.Sub(m.FirstReceive))
			}
		}
		switch o {
		case Lost:
			s.LostIDs = append(s.LostIDs, LostMessage{ID: m.ID, Queue: m.Queue, SentAt: m.SentAt, Receives: m.Receives, Reason: reason})
		case InFlight:
			s.InFlightIDs = append(s.InFlightIDs, LostMessage{ID: m.ID, Queue: m.Queue, SentAt: m.SentAt, Receives: m.Receives,
				Reason: fmt.Sprintf("received and held: its visibility timeout runs out in %v", m.VisibleAt.Sub(at).Round(100*time.Millisecond))})
		case DeadLettered:
			s.DeadLetteredIDs = append(s.DeadLetteredIDs, LostMessage{ID: m.ID, Queue: m.Queue, SentAt: m.SentAt, Receives: m.Receives,
				Reason: fmt.Sprintf("moved to %s by the redrive policy after %d receives", m.DeadLetterQ, m.Receives)})
		}
	}
	s.QueueWait = summarize(wait)
	s.TimeInService = summarize(service)
	for _, ids := range [][]LostMessage{s.LostIDs, s.InFlightIDs, s.DeadLetteredIDs} {
		slices.SortFunc(ids, func(a, b LostMessage) int {
			return cmp.Or(cmp.Compare(a.Queue, b.Queue), a.SentAt.Compare(b.SentAt), cmp.Compare(a.ID, b.ID))
		})
	}
	return s
}
