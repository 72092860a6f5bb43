package collect

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/sqsperf/sqsperf/service"
)

// liveHeap is the heap still reachable after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// fill sends tasks in jobs of tasksPerJob and runs every task through its
// whole life, as a run of that size would.
func fill(tasks, tasksPerJob int) *Collector {
	c := New()
	now := time.Now()
	for j := 0; j*tasksPerJob < tasks; j++ {
		job := "j" + itoa(j)
		ids := taskIDs(job, tasksPerJob)
		c.JobSent(job, ids, now)
		for _, id := range ids {
			c.Observe(service.Event{Kind: service.Received, TaskID: id, SentAt: now, ReceivedAt: now.Add(time.Millisecond)})
			c.Observe(service.Event{Kind: service.Started, TaskID: id, ReceivedAt: now, StartedAt: now.Add(2 * time.Millisecond)})
			c.Observe(service.Event{Kind: service.Finished, TaskID: id, StartedAt: now, At: now.Add(3 * time.Millisecond)})
			c.Observe(service.Event{Kind: service.Acked, TaskID: id, ReadyAt: now, At: now.Add(4 * time.Millisecond)})
		}
	}
	return c
}

// BenchmarkMemory reports the collector's retained memory per 100,000
// tasks, at 100k and at 1M tasks (the second shows the per-task part once
// the fixed histograms are amortised).
func BenchmarkMemory(b *testing.B) {
	for _, tasks := range []int{100_000, 1_000_000} {
		for _, perJob := range []int{1, 10} {
			b.Run(fmt.Sprintf("tasks=%d/tasks_per_job=%d", tasks, perJob), func(b *testing.B) {
				var per100k float64
				for b.Loop() {
					before := liveHeap()
					c := fill(tasks, perJob)
					after := liveHeap()
					runtime.KeepAlive(c)
					per100k = float64(after-before) / float64(tasks) * 100_000
				}
				b.ReportMetric(per100k, "bytes/100k-tasks")
			})
		}
	}
}

// BenchmarkObserve is the cost the collector adds to every task in the
// service: four events from concurrent workers.
func BenchmarkObserve(b *testing.B) {
	const jobs, perJob = 10_000, 10
	c := New()
	now := time.Now()
	for j := 0; j < jobs; j++ {
		job := "j" + itoa(j)
		c.JobSent(job, taskIDs(job, perJob), now)
	}
	ids := make([]string, 0, jobs*perJob)
	for j := 0; j < jobs; j++ {
		ids = append(ids, taskIDs("j"+itoa(j), perJob)...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id := ids[i%len(ids)]
			i += 7
			c.Observe(service.Event{Kind: service.Received, TaskID: id, SentAt: now, ReceivedAt: now.Add(time.Millisecond)})
			c.Observe(service.Event{Kind: service.Started, TaskID: id, ReceivedAt: now, StartedAt: now.Add(2 * time.Millisecond)})
			c.Observe(service.Event{Kind: service.Finished, TaskID: id, StartedAt: now, At: now.Add(3 * time.Millisecond)})
			c.Observe(service.Event{Kind: service.Acked, TaskID: id, ReadyAt: now, At: now.Add(4 * time.Millisecond)})
		}
	})
}

// allocSink keeps the benchmark's allocations from being optimized away.
var allocSink [][]byte

var benchDepth = 8

// BenchmarkAllocSampling is what the memory profiler's sampling costs at
// the rate the runner sets (AllocSampleRate) against the runtime's default
// (512 KiB), on an allocation mix like one stress task's in the runner's
// process (about 27 KiB in 300 objects of 16 to 256 B, deep stacks): the
// difference of the two sub-benchmarks' ns/op, side by side in one run
// (-count 10, benchstat), is the CPU the sampling adds per task, to be
// read against stress's cpu.per_message (about 350 µs).
func BenchmarkAllocSampling(b *testing.B) {
	for _, rate := range []int{defaultMemProfileRate, AllocSampleRate} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			old := runtime.MemProfileRate
			runtime.MemProfileRate = rate
			b.Cleanup(func() { runtime.MemProfileRate = old })
			sizes := []int{16, 32, 48, 64, 96, 128, 256}
			allocSink = make([][]byte, 0, 300)
			b.ReportAllocs()
			for b.Loop() {
				allocSink = allocSink[:0]
				deepAlloc(benchDepth, func() {
					for i := 0; i < 300; i++ {
						allocSink = append(allocSink, make([]byte, sizes[i%len(sizes)]))
					}
				})
			}
		})
	}
}

// deepAlloc runs f under depth more frames: sampled stacks are walked,
// and the SDK's are deep.
//
//go:noinline
func deepAlloc(depth int, f func()) {
	if depth == 0 {
		f()
		return
	}
	deepAlloc(depth-1, f)
}
