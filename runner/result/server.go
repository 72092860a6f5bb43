package result

import "time"

// ServerAccounting is the SQS server's view of a run's messages (issue
// 12): counted by SQS message id on every queue, whoever the consumer is.
// It is known only on the embedded backend, whose server reports every
// send, receive, delete and dead-lettering.
type ServerAccounting struct {
	ServerCounts
	Redeliveries int `json:"redeliveries"`
	// Queues breaks the counts down by the queue a message was sent to.
	Queues map[string]ServerCounts `json:"queues,omitempty"`
	// LostIDs names every lost message: the exact ids, not a sample.
	LostIDs []LostMessage `json:"lost_ids,omitempty"`
	// InFlightIDs names every message still held when the run ended (the
	// consumer stopped without finishing or releasing it), and
	// DeadLetteredIDs every message the redrive policy moved to the
	// dead-letter queue: the exact ids, with their receives.
	InFlightIDs     []LostMessage `json:"in_flight_ids,omitempty"`
	DeadLetteredIDs []LostMessage `json:"dead_lettered_ids,omitempty"`
}

// LostMessage is one message the server saw sent and never settled.
type LostMessage struct {
	ID       string    `json:"id"`
	Queue    string    `json:"queue"`
	SentAt   time.Time `json:"sent_at"`
	Receives int       `json:"receives"`
	Reason   string    `json:"reason"`
}

// ServerCounts are SQS message counts by where each message ended.
type ServerCounts struct {
	Sent         int `json:"sent"`
	Processed    int `json:"processed"`
	DeadLettered int `json:"dead_lettered"`
	Lost         int `json:"lost"`
	InFlight     int `json:"in_flight"`
	Waiting      int `json:"waiting"`
}
