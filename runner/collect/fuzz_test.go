package collect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzAddDeadLettered feeds arbitrary dead-letter bodies to a collector
// that sent a few jobs. Whatever the body, the collector must not panic
// and its accounting must stay consistent: a task is counted at most
// once, and lost is what remains of the sent set.
func FuzzAddDeadLettered(f *testing.F) {
	for _, seed := range []string{
		`{"task_id":"j0/t1","job_id":"j0"}`,
		`{"job_id":"j1","tasks":[{"task_id":"j1/t0"},{"task_id":"j1/t1"}]}`,
		`{"job_id":"j1","tasks":[]}`,
		`{"job_id":"order-A","tasks":[{"task_id":"img-1"}]}`,
		`{"task_id":"j99999999999/t0"}`,
		`{"task_id":"/t0"}`,
		`not json`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c := New()
		c.JobSent("j0", taskIDs("j0", 3), t0)
		c.JobSent("j1", taskIDs("j1", 2), t0)
		c.JobSent("order-A", []string{"img-1", "img-2"}, t0)

		c.AddDeadLettered([]string{body})
		first := c.Progress()
		c.AddDeadLettered([]string{body})
		second := c.Progress()

		assert.Equal(t, first.DeadLettered, second.DeadLettered, "the same body twice counts its tasks once")
		assert.LessOrEqual(t, second.Invalid, 2)
		assert.LessOrEqual(t, second.DeadLettered, second.Sent)
		_, acct := c.Result(t0, t0.Add(time.Second))
		require.Equal(t, 7, acct.Sent)
		assert.Equal(t, acct.Sent-second.Settled, acct.Lost)
		assert.Equal(t, acct.DeadLettered, second.Settled, "nothing was processed, so settled means dead")
		assert.LessOrEqual(t, len(acct.LostIDs), maxLostIDs)
	})
}
