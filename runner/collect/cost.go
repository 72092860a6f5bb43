package collect

import (
	"runtime/metrics"
	"time"

	"github.com/sqsperf/sqsperf/runner/metric"
)

// Cost is a snapshot of what the process has spent so far. Differences of
// two snapshots divided by the work done are the least noisy regression
// signals: they do not depend on how busy the machine was.
type Cost struct {
	// CPU is user plus system time of the whole process (getrusage).
	CPU time.Duration
	// CPUKnown is false where the platform gives no process CPU time.
	CPUKnown bool
	// Allocs and AllocBytes count heap allocations since the process
	// started (runtime/metrics; no stop-the-world, unlike ReadMemStats).
	// They lag by the allocations of spans still being filled, a few per
	// size class: noise below one in a thousand over a run's messages.
	Allocs     uint64
	AllocBytes uint64
}

const (
	allocObjectsMetric = "/gc/heap/allocs:objects"
	allocBytesMetric   = "/gc/heap/allocs:bytes"
)

// CostSnapshot reads the process's CPU time and allocation counters.
func CostSnapshot() Cost {
	samples := []metrics.Sample{{Name: allocObjectsMetric}, {Name: allocBytesMetric}}
	metrics.Read(samples)
	var c Cost
	if samples[0].Value.Kind() == metrics.KindUint64 {
		c.Allocs = samples[0].Value.Uint64()
	}
	if samples[1].Value.Kind() == metrics.KindUint64 {
		c.AllocBytes = samples[1].Value.Uint64()
	}
	c.CPU, c.CPUKnown = processCPU()
	return c
}

// PerMessage divides what was spent between two snapshots by the tasks
// processed: cpu.per_message (seconds), alloc.per_message and
// alloc.bytes_per_message. With nothing processed it returns an empty
// map, because a cost per zero messages is not a number to judge.
func PerMessage(before, after Cost, processed int) map[string]float64 {
	out := map[string]float64{}
	if processed <= 0 {
		return out
	}
	n := float64(processed)
	if before.CPUKnown && after.CPUKnown && after.CPU >= before.CPU {
		out[metric.CPUPerMessage] = (after.CPU - before.CPU).Seconds() / n
	}
	if after.Allocs >= before.Allocs && after.AllocBytes >= before.AllocBytes {
		out[metric.AllocPerMessage] = float64(after.Allocs-before.Allocs) / n
		out[metric.AllocBytesPerMessage] = float64(after.AllocBytes-before.AllocBytes) / n
	}
	return out
}
