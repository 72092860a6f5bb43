package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/ledger"
)

// Consumer is a started consumer under test.
type Consumer interface {
	// Stop sends it SIGTERM (or its in-process equivalent) and waits for
	// it to exit, returning how it exited.
	Stop() error
	// Alive returns nil while it runs, and why it stopped otherwise.
	Alive() error
}

// Starter starts a consumer with e.ConsumerEnv(extra...).
type Starter func(t *testing.T, e *Env, extra ...string) Consumer

// CheckLosesNothing: jobs fanned out over a small pool (so tasks overflow
// to download-tasks) and one invalid message; once everything is
// processed or dead-lettered the consumer is stopped, and the ledger must
// count no message lost, in flight or waiting.
func CheckLosesNothing(t *testing.T, start Starter) {
	e := Start(t, Queues{VisibilityTimeout: 1, MaxReceiveCount: 2})
	e.SendJobs(100, 3)
	poison := e.SendRaw("not a job")
	c := start(t, e, "WORKER_POOL_SIZE=2", "MAX_QUEUE_SIZE=2", "TASK_IO_WAIT=1ms")

	e.WaitFor("every message processed or dead-lettered", 2*time.Minute, c.Alive, ledger.Summary.Settled)
	require.NoError(t, c.Stop())

	s := e.Ledger.Summary()
	require.Zero(t, s.Lost, "lost: %v", s.LostIDs)
	require.Zero(t, s.InFlight)
	require.Zero(t, s.Waiting)
	require.Equal(t, 1, s.DeadLettered)
	require.Equal(t, 100, s.Queues["export-jobs"].Processed)
	require.Positive(t, s.Queues["download-tasks"].Sent, "the pool of 2+2 overflowed to download-tasks")
	require.Equal(t, s.Queues["download-tasks"].Sent, s.Queues["download-tasks"].Processed)
	var seen bool
	for _, m := range e.Ledger.Lives() {
		if m.ID == poison {
			seen = true
			require.Equal(t, "dlq", m.DeadLetterQ)
			require.Equal(t, 2, m.Receives, "redriven after maxReceiveCount receives")
		}
	}
	require.True(t, seen)
}

// CheckReleasesOnShutdown stops the consumer in the middle of slow work
// with no shutdown grace: every unfinished message must be given back
// (visible again), none left in flight for its 300 s timeout.
func CheckReleasesOnShutdown(t *testing.T, start Starter) {
	e := Start(t, Queues{VisibilityTimeout: 300, MaxReceiveCount: 5})
	e.SendJobs(50, 2)
	c := start(t, e, "WORKER_POOL_SIZE=2", "MAX_QUEUE_SIZE=4", "TASK_IO_WAIT=200ms", "SHUTDOWN_TIMEOUT=0s")
	e.WaitFor("some work done and some in flight", time.Minute, c.Alive, func(s ledger.Summary) bool { return s.Processed > 0 && s.InFlight > 0 })
	require.NoError(t, c.Stop())
	s := e.Ledger.Summary()
	require.Zero(t, s.InFlight, "every unfinished message is released on shutdown")
	require.Zero(t, s.Lost, "lost: %v", s.LostIDs)
	require.Positive(t, s.Waiting)
	require.Equal(t, s.Sent, s.Processed+s.Waiting)
}

// CheckBrokenReportedExactly runs the consumer with DROP_ONE_IN=1000: it
// forgets one job in a thousand (never deletes it, never gives it back).
// Once the rest is processed and the consumer stopped, the ledger must
// name exactly those jobs' message ids as lost.
func CheckBrokenReportedExactly(t *testing.T, start Starter) {
	// The dropped job comes back every 2 s; the most receives SQS allows
	// keeps it off the dead-letter queue however slow the run.
	e := Start(t, Queues{VisibilityTimeout: 2, MaxReceiveCount: 1000})
	ids := e.SendJobs(1000, 1)
	var want []string
	for job, id := range ids {
		if Dropped(job, 1000) {
			want = append(want, id)
		}
	}
	require.NotEmpty(t, want, "the job ids must include one DROP_ONE_IN=1000 drops")
	c := start(t, e, "WORKER_POOL_SIZE=4", "MAX_QUEUE_SIZE=8", "DROP_ONE_IN=1000")

	e.WaitFor("everything but the dropped jobs processed", 3*time.Minute, c.Alive, func(s ledger.Summary) bool {
		return s.Processed == s.Sent-len(want)
	})
	require.NoError(t, c.Stop())
	s := e.WaitFor("the dropped jobs' visibility timeout to run out", 30*time.Second, nil, func(s ledger.Summary) bool {
		return s.Lost == len(want)
	})
	var got []string
	for _, m := range s.LostIDs {
		got = append(got, m.ID)
		require.Equal(t, "export-jobs", m.Queue)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got)
	require.Zero(t, s.DeadLettered)
	require.Zero(t, s.InFlight)
}
