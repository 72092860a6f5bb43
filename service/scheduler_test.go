package service

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jobItem(job, task string) *workItem {
	return &workItem{task: Task{JobID: job, TaskID: task}, job: &jobRun{}}
}

func taskItem(job, task string) *workItem {
	return &workItem{task: Task{JobID: job, TaskID: task}}
}

func popAll(t *testing.T, s *scheduler) []string {
	s.finish()
	var order []string
	for {
		w, ok := s.pop()
		if !ok {
			return order
		}
		order = append(order, w.task.TaskID)
	}
}

func TestSchedulerRoundRobinBetweenJobs(t *testing.T) {
	s := newScheduler(100)
	for _, id := range []string{"a1", "a2", "a3", "a4"} {
		result, _ := s.offer(jobItem("a", id))
		require.Equal(t, offerQueued, result)
	}
	for _, id := range []string{"b1", "b2"} {
		result, _ := s.offer(jobItem("b", id))
		require.Equal(t, offerQueued, result)
	}
	require.True(t, s.pushWait(taskItem("c", "c1")))
	assert.Equal(t, []string{"a1", "b1", "c1", "a2", "b2", "a3", "a4"}, popAll(t, s))
}

func TestSchedulerEvictsFromTheLargestJob(t *testing.T) {
	s := newScheduler(4)
	for _, id := range []string{"a1", "a2", "a3", "a4"} {
		result, evicted := s.offer(jobItem("a", id))
		require.Equal(t, offerQueued, result)
		require.Nil(t, evicted)
	}
	result, evicted := s.offer(jobItem("a", "a5"))
	assert.Equal(t, offerOverflow, result, "a full queue overflows the job holding it")
	assert.Nil(t, evicted)

	result, evicted = s.offer(jobItem("b", "b1"))
	assert.Equal(t, offerQueued, result, "a newcomer gets a slot")
	require.NotNil(t, evicted)
	assert.Equal(t, "a4", evicted.task.TaskID, "the big job's newest task makes room")
	result, evicted = s.offer(jobItem("b", "b2"))
	assert.Equal(t, offerQueued, result)
	assert.Equal(t, "a3", evicted.task.TaskID)
	result, _ = s.offer(jobItem("b", "b3"))
	assert.Equal(t, offerOverflow, result, "shares are even: 2 and 2")
	assert.Equal(t, 4, s.len())
	assert.Equal(t, []string{"a1", "b1", "a2", "b2"}, popAll(t, s))
}

func TestSchedulerNeverEvictsTaskMessages(t *testing.T) {
	s := newScheduler(2)
	require.True(t, s.pushWait(taskItem("a", "a1")))
	require.True(t, s.pushWait(taskItem("a", "a2")))
	result, evicted := s.offer(jobItem("b", "b1"))
	assert.Equal(t, offerOverflow, result)
	assert.Nil(t, evicted)
}

func TestSchedulerPushWaitBlocksUntilSpaceOrShutdown(t *testing.T) {
	s := newScheduler(1)
	require.True(t, s.pushWait(taskItem("a", "a1")))
	pushed := make(chan bool)
	go func() { pushed <- s.pushWait(taskItem("a", "a2")) }()
	w, ok := s.pop()
	require.True(t, ok)
	assert.Equal(t, "a1", w.task.TaskID)
	assert.True(t, <-pushed, "space freed by a worker")

	go func() { pushed <- s.pushWait(taskItem("a", "a3")) }()
	s.closeIntake()
	assert.False(t, <-pushed, "shutdown gives up waiting")
	assert.Zero(t, s.waitSpace())
}

func TestSchedulerCloseWakesWorkers(t *testing.T) {
	s := newScheduler(10)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			_, ok := s.pop()
			assert.False(t, ok)
		})
	}
	s.close()
	wg.Wait()
	result, _ := s.offer(jobItem("a", "a1"))
	assert.Equal(t, offerClosed, result, "a closed queue takes nothing")
}
