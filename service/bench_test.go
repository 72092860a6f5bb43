package service

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Benchmarks of the pipeline. Each iteration is one task. Setup (filling
// the queue) is outside the timer; the timer covers the service consuming
// everything, until the last message is deleted.
//
//	go test -run '^$' -bench . -benchtime 2s -count 6 ./service/
//
// Reported: msgs/s (tasks per second of wall time), cpu-µs/msg (process
// CPU time per task from getrusage, so it includes the in-process SQS
// server and SDK when they are used) and the usual B/op and allocs/op
// (likewise process-wide).

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// taskBodies returns n task messages spread over jobs of perJob tasks.
func taskBodies(n, perJob int) []string {
	bodies := make([]string, n)
	for i := range bodies {
		b, _ := json.Marshal(Task{JobID: fmt.Sprintf("bench-j%d", i/perJob), TaskID: fmt.Sprintf("t%d", i)})
		bodies[i] = string(b)
	}
	return bodies
}

// jobBodies returns job messages with n tasks in total.
func jobBodies(n, perJob int) []string {
	var bodies []string
	for start := 0; start < n; start += perJob {
		j := makeJob(fmt.Sprintf("bench-j%d", start/perJob), min(perJob, n-start))
		b, _ := json.Marshal(j)
		bodies = append(bodies, string(b))
	}
	return bodies
}

// prefill sends bodies with a few concurrent senders.
func prefill(b *testing.B, e *env, url string, bodies []string) {
	var wg sync.WaitGroup
	const senders = 4
	chunk := (len(bodies) + senders - 1) / senders
	for s := range senders {
		part := bodies[min(s*chunk, len(bodies)):min((s+1)*chunk, len(bodies))]
		wg.Go(func() { e.sendBodies(b, url, part...) })
	}
	wg.Wait()
}

// consume runs a service over the prepared queues and times it until
// wantAcked messages were deleted.
func consume(b *testing.B, client SQSAPI, cfg Config, tasks int, wantAcked int64) {
	svc, err := New(client, cfg)
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	go func() { done <- svc.Run(ctx) }()
	// Polling at 5ms keeps the probe's own CPU out of the figures and
	// costs at most 5ms of timing error on runs of about a second or more.
	for svc.Stats().Acked < wantAcked {
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	cancel()
	require.NoError(b, <-done)
	b.ReportMetric(float64(tasks)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(tasks), "cpu-µs/msg")
	b.ReportMetric(0, "ns/op") // wall time per task is msgs/s inverted; keep one figure
}

var noop = HandlerFunc(func(context.Context, Task) error { return nil })

// BenchmarkPipelineNoop measures what the pipeline itself costs per
// message with a handler that does nothing.
func BenchmarkPipelineNoop(b *testing.B) {
	b.Run("embedded/task-messages", func(b *testing.B) {
		e := newEnv(b, envOptions{})
		prefill(b, e, e.tasksURL, taskBodies(b.N, 100))
		consume(b, e.client, e.config(Config{Workers: 4, Pollers: 4, MaxQueueSize: 1000, Handler: noop}), b.N, int64(b.N))
	})
	b.Run("embedded/jobs-of-10", func(b *testing.B) {
		e := newEnv(b, envOptions{})
		bodies := jobBodies(b.N, 10)
		prefill(b, e, e.jobsURL, bodies)
		consume(b, e.client, e.config(Config{Workers: 4, Pollers: 4, MaxQueueSize: 1000, MaxConcurrentJobs: 100, Handler: noop}), b.N, int64(len(bodies)))
	})
	b.Run("in-memory/task-messages", func(b *testing.B) {
		mem := newMemSQS()
		cfg := Config{JobsQueueURL: "http://mem/jobs", TasksQueueURL: "http://mem/tasks", DeadLetterQueueURL: "http://mem/dlq",
			Workers: 4, Pollers: 4, MaxQueueSize: 1000, Handler: noop}
		mem.put(cfg.TasksQueueURL, taskBodies(b.N, 100)...)
		consume(b, mem, cfg, b.N, int64(b.N))
	})
	// With an observer: events are passed by value, so listening must not
	// add allocations per message.
	b.Run("in-memory/task-messages+observer", func(b *testing.B) {
		mem := newMemSQS()
		var events atomic.Int64
		cfg := Config{JobsQueueURL: "http://mem/jobs", TasksQueueURL: "http://mem/tasks", DeadLetterQueueURL: "http://mem/dlq",
			Workers: 4, Pollers: 4, MaxQueueSize: 1000, Handler: noop, Observer: ObserverFunc(func(Event) { events.Add(1) })}
		mem.put(cfg.TasksQueueURL, taskBodies(b.N, 100)...)
		consume(b, mem, cfg, b.N, int64(b.N))
		b.ReportMetric(float64(events.Load())/float64(b.N), "events/msg")
	})
}

// BenchmarkThroughputVsWorkers runs I/O-bound tasks (20ms wait each) in
// jobs of 50 through the embedded server; ideal scaling doubles msgs/s
// per doubling of workers.
func BenchmarkThroughputVsWorkers(b *testing.B) {
	for _, workers := range []int{2, 4, 8, 16, 32, 64} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e := newEnv(b, envOptions{})
			bodies := jobBodies(b.N, 50)
			prefill(b, e, e.jobsURL, bodies)
			handler := NewDownloadHandler(DownloadConfig{IOWait: Constant(20 * time.Millisecond)})
			consume(b, e.client, e.config(Config{Workers: workers, MaxQueueSize: 10_000, MaxConcurrentJobs: 200, Handler: handler}), b.N, int64(len(bodies)))
		})
	}
}
