package sqsemu

import (
	"net/http"
	"time"
)

// EventKind names a point in a message's life as the server sees it.
type EventKind uint8

const (
	// EventSent: a message entered a queue through SendMessage or
	// SendMessageBatch (not a FIFO duplicate, which keeps the original).
	// VisibleAt is when it can first be received (after any delay).
	EventSent EventKind = iota + 1
	// EventReceived: a message was handed to a receiver. ReceiveCount is
	// the count including this receive; VisibleAt is when its visibility
	// timeout ends.
	EventReceived
	// EventDeleted: a message was deleted with a current receipt handle.
	EventDeleted
	// EventVisibilityChanged: ChangeMessageVisibility(Batch) set a new
	// deadline (VisibleAt). A deadline equal to At means the receiver
	// released the message: it is visible again at once.
	EventVisibilityChanged
	// EventDeadLettered: a message went over its source queue's
	// maxReceiveCount and was moved to the dead-letter queue Queue from
	// FromQueue. It keeps its id, SentAt and ReceiveCount.
	EventDeadLettered
	// EventPurged: PurgeQueue dropped the message.
	EventPurged
	// EventQueueDeleted: DeleteQueue dropped the message with its queue.
	EventQueueDeleted
	// EventExpired: the queue's retention period ended before anyone
	// deleted the message.
	EventExpired
)

var eventKindNames = [...]string{"", "sent", "received", "deleted", "visibility-changed", "dead-lettered", "purged", "queue-deleted", "expired"}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return "unknown"
}

// Event is one observation of one message by the server. Times come
// from the server's Clock.
type Event struct {
	Kind      EventKind
	Queue     string // queue name (not URL)
	MessageID string
	At        time.Time // when it happened
	SentAt    time.Time // the message's SentTimestamp
	// ReceiveCount is the message's ApproximateReceiveCount after the event.
	ReceiveCount int
	// VisibleAt is when the message becomes receivable (Sent, Received,
	// VisibilityChanged); zero otherwise.
	VisibleAt time.Time
	// FromQueue is the source queue's name for EventDeadLettered.
	FromQueue string
}

// hooks are the optional extension points of a Handler; the zero value
// means none, and then every hook costs one nil check.
type hooks struct {
	observer func(Event)
	wrapHTTP func(http.Handler) http.Handler
}

// WithObserver reports every message's life to f: sent, received,
// deleted, visibility changed, dead-lettered, purged, dropped with its
// queue or expired, on every queue. f is called synchronously while the
// message's queue is locked, so the events of one message arrive in
// order; f must be quick, safe for concurrent use (queues call it from
// their own goroutines), and must not call the server.
func WithObserver(f func(Event)) Option { return func(cfg *config) { cfg.hooks.observer = f } }

// WithHTTPWrapper wraps the HTTP handler a Server (Listen, Serve,
// NewServer) puts on its listener, e.g. to answer extra paths such as
// ledger.Path next to the SQS API. A Handler used on its own ignores it.
func WithHTTPWrapper(wrap func(http.Handler) http.Handler) Option {
	return func(cfg *config) { cfg.hooks.wrapHTTP = wrap }
}

// httpHandler is what a Server serves: h, wrapped if asked.
func (h *Handler) httpHandler() http.Handler {
	if h.hooks.wrapHTTP == nil {
		return h
	}
	return h.hooks.wrapHTTP(h)
}

// observe reports kind for m in q (q.mu held). A zero now means "ask the
// clock", only paid when an observer is set.
func (q *queue) observe(kind EventKind, m *message, now time.Time) {
	f := q.h.hooks.observer
	if f == nil {
		return
	}
	if now.IsZero() {
		now = q.h.clock.Now()
	}
	e := Event{Kind: kind, Queue: q.name, MessageID: m.id, At: now, SentAt: m.sentAt, ReceiveCount: m.receiveCount}
	switch kind {
	case EventSent, EventReceived, EventVisibilityChanged:
		e.VisibleAt = m.visibleAt
		if kind == EventSent && m.state != stateDelayed {
			e.VisibleAt = now
		}
	case EventDeadLettered:
		e.FromQueue, _ = parseARN(m.dlqSource)
	case EventPurged:
		if q.deleted {
			e.Kind = EventQueueDeleted
		}
	}
	f(e)
}

// MessageState is one message still held by the server.
type MessageState struct {
	Queue        string    `json:"queue"`
	MessageID    string    `json:"message_id"`
	State        string    `json:"state"` // "visible", "in-flight" or "delayed"
	SentAt       time.Time `json:"sent_at"`
	ReceiveCount int       `json:"receive_count"`
	// VisibleAt is when an in-flight or delayed message becomes visible.
	VisibleAt time.Time `json:"visible_at,omitzero"`
}

// Snapshot lists every message still in a queue (visible, in flight or
// delayed), queue by queue, oldest first within a queue. Visibility
// timeouts and delays that ended by now are applied first, so a message
// whose timeout ran out shows as visible. It locks one queue at a time:
// under traffic the list is a consistent view of each queue, not of all
// queues at one instant.
func (h *Handler) Snapshot() []MessageState {
	var out []MessageState
	h.queues.Range(func(_, v any) bool {
		q := v.(*queue)
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.deleted {
			return true
		}
		q.advanceLocked(h.clock.Now())
		for m := q.oldest; m != nil; m = m.newer {
			s := MessageState{Queue: q.name, MessageID: m.id, SentAt: m.sentAt, ReceiveCount: m.receiveCount}
			switch m.state {
			case stateVisible:
				s.State = "visible"
			case stateInflight:
				s.State, s.VisibleAt = "in-flight", m.visibleAt
			case stateDelayed:
				s.State, s.VisibleAt = "delayed", m.visibleAt
			default:
				continue
			}
			out = append(out, s)
		}
		return true
	})
	return out
}

// Snapshot lists every message still held by the server; see
// Handler.Snapshot.
func (s *Server) Snapshot() []MessageState { return s.Handler.Snapshot() }
