package service

import "sync/atomic"

// Stats is a snapshot of the service's counters. Message counts cover both
// queues unless named otherwise.
type Stats struct {
	Received       int64 // messages received (jobs and tasks, including redeliveries)
	JobsReceived   int64 // valid job messages received
	Processed      int64 // task attempts that finished
	Failed         int64 // task attempts whose handler returned an error
	Crashed        int64 // task attempts whose handler panicked
	Overflowed     int64 // job tasks handed to the tasks queue because the internal queue was full
	DeadLettered   int64 // invalid messages the service sent to the dead-letter queue
	Acked          int64 // messages deleted
	Released       int64 // messages made visible again by a shutdown
	LeasesLost     int64 // messages whose lease SQS no longer honoured (they will be delivered again)
	SQSErrors      int64 // failed SQS calls (each was retried)
	InFlight       int64 // tasks running now
	Queued         int64 // tasks in the internal queue now
	JobsInProgress int64 // jobs whose tasks have not all settled
	Leased         int64 // messages the service holds a lease on now
}

type counters struct {
	received, jobsReceived, processed, failed, crashed, overflowed atomic.Int64
	deadLettered, acked, released, leasesLost, sqsErrors           atomic.Int64
	inFlight, jobsInProgress                                       atomic.Int64
}

// Stats returns the counters. It takes two short locks and is cheap
// enough to call every few milliseconds.
func (s *Service) Stats() Stats {
	c := &s.stats
	return Stats{
		Received:       c.received.Load(),
		JobsReceived:   c.jobsReceived.Load(),
		Processed:      c.processed.Load(),
		Failed:         c.failed.Load(),
		Crashed:        c.crashed.Load(),
		Overflowed:     c.overflowed.Load(),
		DeadLettered:   c.deadLettered.Load(),
		Acked:          c.acked.Load(),
		Released:       c.released.Load(),
		LeasesLost:     c.leasesLost.Load(),
		SQSErrors:      c.sqsErrors.Load(),
		InFlight:       c.inFlight.Load(),
		Queued:         int64(s.sched.len()),
		JobsInProgress: c.jobsInProgress.Load(),
		Leased:         int64(s.leases.count()),
	}
}
