package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessesAJobAndDeletesIt(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := newRecorder()
	r := start(t, e, Config{Workers: 2, Observer: rec, Handler: NewDownloadHandler(DownloadConfig{IOWait: Constant(time.Millisecond), PayloadSize: 1024})})
	e.sendJobs(t, makeJob("j1", 5))
	rec.waitFor(t, 30*time.Second, "the job to be acked", func(ev []Event) bool {
		return count(ev, Acked, func(e Event) bool { return e.Queue == "jobs" && e.JobID == "j1" }) == 1
	})
	require.NoError(t, r.stop(t))
	ev := rec.snapshot()
	assert.Len(t, finishedTasks(ev), 5)
	assert.Equal(t, 5, count(ev, Started, nil))
	visible, inFlight := e.counts(t, e.jobsURL)
	assert.Zero(t, visible+inFlight, "jobs queue is empty")
	st := r.svc.Stats()
	assert.EqualValues(t, 5, st.Processed)
	assert.EqualValues(t, 1, st.Acked)
	assert.Zero(t, st.Leased)
}
