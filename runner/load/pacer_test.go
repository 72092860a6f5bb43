package load

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A caller's own arrival process replaces the constant rate: the driver
// asks it before every job of a batch (counting from 0 in each batch) and
// waits exactly what it says (in a synctest bubble, where the time is
// virtual and exact).
func TestPlanUsesACustomPacer(t *testing.T) {
	synctest.Test(t, testPlanUsesACustomPacer)
}

func testPlanUsesACustomPacer(t *testing.T) {
	type call struct {
		elapsed  time.Duration
		released uint64
	}
	var calls []call
	// A ramp: job i of a batch is due at i² ms.
	ramp := PacerFunc(func(elapsed time.Duration, released uint64) time.Duration {
		calls = append(calls, call{elapsed, released})
		return max(time.Duration(released*released)*time.Millisecond-elapsed, 0)
	})
	rec := newRecorder()
	begin := time.Now()
	_, err := Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 8, Batches: 2, TasksPerJob: 1, Senders: 2, Pacer: ramp}, rec, Hooks{})
	require.NoError(t, err)

	require.Len(t, calls, 8, "the pacer is asked once per job")
	for i, c := range calls {
		k := uint64(i % 4)
		assert.Equal(t, k, c.released, "call %d: released counts jobs within the batch", i)
		// Asked for job k, the pacer sees the time at which job k-1 was due.
		prevDue := time.Duration(0)
		if k > 0 {
			prevDue = time.Duration((k-1)*(k-1)) * time.Millisecond
		}
		assert.Equal(t, prevDue, c.elapsed, "call %d: the clock advanced by what the pacer asked", i)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	batchStart := 9 * time.Millisecond // the first batch's last job was due at 3² ms
	for j := 0; j < 8; j++ {
		at := rec.times[JobID("", j)]
		require.Len(t, at, 1)
		start, k := time.Duration(0), j
		if j >= 4 {
			start, k = batchStart, j-4
		}
		assert.Equal(t, start+time.Duration(k*k)*time.Millisecond, at[0].Sub(begin), "job %d is released on the custom schedule", j)
	}
}

func TestPlanPacerAndRateExclude(t *testing.T) {
	sqsFake := &fakeSQS{}
	_, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 2, TasksPerJob: 1, Rate: 10, Pacer: Unpaced{}}, newRecorder(), Hooks{})
	assert.ErrorContains(t, err, "set Rate or Pacer, not both")
	assert.Empty(t, sqsFake.callBodies())
}

// Without a Pacer the plan paces at Rate: vegeta's default, a constant rate.
func TestPlanDefaultPacer(t *testing.T) {
	assert.Equal(t, ConstantPacer{PerSecond: 50}, Plan{Rate: 50}.pacer())
	assert.Equal(t, Unpaced{}, Plan{}.pacer())
	custom := ConstantPacer{PerSecond: 7}
	assert.Equal(t, custom, Plan{Pacer: custom}.pacer())
}
