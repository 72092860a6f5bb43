package runner_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// TestServerViewAgreesWithTheServiceEvents runs every scenario of the
// suite once at a fifth of its size and compares the built-in service's
// two accountings: its own events (task ids) and the SQS server's
// (message ids, on every queue).
//
// The designed differences: a job message carries tasks_per_job tasks,
// so the jobs queue's processed messages equal the jobs sent, not the
// tasks; the tasks queue holds the service's own sends (overflow and
// retries), so its count is at least the overflowed tasks; a message the
// service sends to the dead-letter queue itself (an invalid one) shows on
// the server as sent to the DLQ (and processed there by the runner's
// drainer), not as dead-lettered by the redrive policy; and a redriven
// job message counts once on the server and once per task in the events.
func TestServerViewAgreesWithTheServiceEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the scenario suite at a fifth of its size: skipped in -short mode")
	}
	files, err := filepath.Glob("../scenarios/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			// Accounting does not depend on timing, and the scenarios'
			// pauses (batch intervals) overlap: the suite takes half as long.
			t.Parallel()
			sc, err := scenario.Load(file)
			require.NoError(t, err)
			res, err := runner.Run(t.Context(), sc, runner.Options{Size: 0.2, Repeats: 1})
			require.NoError(t, err)
			q := sc.SQS.Queues
			for _, c := range res.Cases {
				for _, run := range c.Runs {
					a, s := run.Accounting, run.Server
					require.NotNil(t, s, "%s: no server view; warnings: %v", c.Name, run.Warnings)
					t.Logf("%s: events %+v; server %+v", c.Name, a, *s)
					// A fifth of a crash scenario finishes its work soon
					// after the restart, which is its recovery: no run
					// errors at all.
					require.Empty(t, run.Errors, c.Name)
					// Nothing lost in either view.
					assert.Zero(t, a.Lost, "%s: events", c.Name)
					assert.Equal(t, a.Lost, s.Lost, "%s: lost: %v", c.Name, s.LostIDs)
					assert.Equal(t, float64(s.Lost), run.Metrics["server.lost"], c.Name)
					// Every message settled: the events said so when the run
					// ended, and the server agrees.
					// A killed service (crash.yaml) leaves the job messages it
					// held in flight: their tasks were done (by it or by the
					// restarted service), the message comes back after its
					// visibility timeout as a duplicate. The server sees what
					// the events cannot: the crash's unreleased messages.
					held := 0
					if sc.Faults.Crash.After > 0 {
						held = s.InFlight
					}
					assert.Equal(t, s.Sent, s.Processed+s.DeadLettered+held, "%s: server: every message processed or dead-lettered", c.Name)
					assert.Equal(t, held, s.InFlight, c.Name)
					assert.Zero(t, s.Waiting, c.Name)
					// Processed: one message per job sent, each deleted or dead-lettered.
					jobs := s.Queues[q.Jobs]
					assert.Equal(t, a.JobsSent, jobs.Sent, "%s: jobs sent", c.Name)
					assert.Equal(t, a.JobsSent, jobs.Processed+jobs.DeadLettered+jobs.InFlight, "%s: jobs settled", c.Name)
					// The service's own sends to the tasks queue: every overflow.
					assert.GreaterOrEqual(t, s.Queues[q.Tasks].Sent, a.Overflowed, "%s: overflowed tasks", c.Name)
					// Dead-lettered: each message the server saw dead-lettered or
					// handed to the DLQ carries at least one dead-lettered task.
					dlq := s.DeadLettered + s.Queues[q.DeadLetter].Sent
					assert.LessOrEqual(t, dlq, a.DeadLettered, "%s: dead-lettered", c.Name)
					assert.Equal(t, dlq == 0, a.DeadLettered == 0, "%s: dead-lettered in one view only", c.Name)
				}
			}
		})
	}
}
