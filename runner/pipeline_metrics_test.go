package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/fault"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

func TestPipelineAssembleMetrics(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	window := measureWindow{
		Start:  t0,
		End:    t0.Add(4 * time.Second),
		Before: costSnapshot{Process: collect.Cost{CPU: time.Second, CPUKnown: true, Allocs: 1000, AllocBytes: 10_000}},
		After:  costSnapshot{Process: collect.Cost{CPU: 3 * time.Second, CPUKnown: true, Allocs: 3000, AllocBytes: 50_000}},
	}
	// 100 tasks/s until the crash at 2s, nothing for a second, then 60/s:
	// half the pre-crash rate (50/s) is reached 1.5 s after the crash.
	throughput := result.Series{Name: "throughput", Unit: "rate",
		T:     []float64{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4},
		Value: []float64{100, 100, 100, 100, 0, 0, 60, 60}}
	base := runMeasurements{
		Collector:  map[string]float64{"processed": 200, "lost": 0},
		Accounting: result.Accounting{Processed: 200},
		Window:     window,
		Probe:      probe.Summary{Metrics: map[string]float64{"gc.cycles": 3}},
		Throughput: throughput,
	}

	t.Run("collector, per-message cost and probes", func(t *testing.T) {
		m, errs := assembleMetrics(base)
		assert.Empty(t, errs)
		assert.Equal(t, 200.0, m["processed"])
		assert.Equal(t, 3.0, m["gc.cycles"])
		assert.InDelta(t, 2.0/200, m["cpu.per_message"], 1e-12, "the CPU between the two snapshots over the tasks processed")
		assert.InDelta(t, 2000.0/200, m["alloc.per_message"], 1e-9)
		assert.NotContains(t, m, "recovery", "no crash, no recovery time")
		assert.NotContains(t, m, "faults.injected", "no faults configured, no fault counts")
	})

	t.Run("recovery after a crash", func(t *testing.T) {
		in := base
		in.CrashedAt = t0.Add(2 * time.Second)
		m, errs := assembleMetrics(in)
		assert.Empty(t, errs)
		assert.InDelta(t, 1.5, m["recovery"], 1e-9)
	})

	t.Run("a crash never recovered from is a run error", func(t *testing.T) {
		in := base
		in.CrashedAt = t0.Add(2 * time.Second)
		in.Throughput = result.Series{T: []float64{1, 2, 3, 4}, Value: []float64{100, 100, 10, 10}}
		in.Accounting = result.Accounting{Processed: 150, Lost: 50}
		m, errs := assembleMetrics(in)
		assert.NotContains(t, m, "recovery")
		assert.Equal(t, []string{"throughput did not recover to half its pre-crash rate before the run ended"}, errs)
	})

	t.Run("a slow recovery that still finished the work lasts until the last task", func(t *testing.T) {
		in := base
		in.CrashedAt = t0.Add(2 * time.Second)
		in.Throughput = result.Series{T: []float64{1, 2, 3, 4}, Value: []float64{100, 100, 10, 10}}
		m, errs := assembleMetrics(in)
		assert.Empty(t, errs)
		assert.InDelta(t, 2.0, m["recovery"], 1e-9, "from the crash at 2 s to the window's end at 4 s")
	})

	t.Run("a short run that crashed before its first throughput sample", func(t *testing.T) {
		// A fifth of crash.yaml: 160 tasks in 0.4 s, the crash at 0.2 s,
		// samples every 0.25 s: no pre-crash rate, the work done at 0.4 s.
		in := base
		in.Window.End = t0.Add(400 * time.Millisecond)
		in.CrashedAt = t0.Add(200 * time.Millisecond)
		in.Throughput = result.Series{T: []float64{0.25, 0.4}, Value: []float64{400, 380}}
		m, errs := assembleMetrics(in)
		assert.Empty(t, errs)
		assert.InDelta(t, 0.2, m["recovery"], 1e-9)
	})

	t.Run("injected faults are counted", func(t *testing.T) {
		in := base
		in.Faults = &fault.Counts{Calls: 50, Throttled: 1, Errors: 2, Timeouts: 3, Dropped: 4, Delayed: 5}
		m, _ := assembleMetrics(in)
		assert.Equal(t, 15.0, m["faults.injected"])
		assert.Equal(t, 50.0, m["faults.calls"])
	})

	t.Run("inputs are not modified", func(t *testing.T) {
		m, _ := assembleMetrics(base)
		m["processed"] = -1
		assert.Equal(t, 200.0, base.Collector["processed"])
	})
}

func TestPipelineAssembleLoadOnlyMetrics(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := loadOnlyMeasurements{
		JobsSent: 30, TasksSent: 60,
		Window:    measureWindow{Start: t0, End: t0.Add(2 * time.Second)},
		Probe:     probe.Summary{Metrics: map[string]float64{"queue.depth.max": 7}},
		DLQBefore: 1, DLQAfter: 3, DLQKnown: true,
	}
	m := assembleLoadOnlyMetrics(in)
	assert.Equal(t, map[string]float64{
		"queue.depth.max": 7, "jobs.sent": 30, "sent": 60, "duration": 2, "throughput": 30, "dead_lettered.queue": 2,
	}, m)

	in.DLQKnown = false
	in.Window.End = t0
	m = assembleLoadOnlyMetrics(in)
	assert.NotContains(t, m, "dead_lettered.queue", "an unread dead-letter queue is not measured, not zero")
	assert.NotContains(t, m, "throughput", "no throughput over an empty window")
}

func TestPipelineTeardownBudget(t *testing.T) {
	assert.Equal(t, minTeardown, teardownBudget(time.Second))
	assert.Equal(t, 30*time.Second, teardownBudget(2*time.Minute))
}

func TestPipelineMeasureWindowUtilization(t *testing.T) {
	t0 := time.Now()
	w := measureWindow{Start: t0, End: t0.Add(2 * time.Second),
		Before: costSnapshot{Process: collect.Cost{CPU: time.Second}},
		After:  costSnapshot{Process: collect.Cost{CPU: 3 * time.Second}}}
	assert.InDelta(t, 0.5, w.utilization(2), 1e-12)
	assert.Zero(t, measureWindow{}.utilization(2))
}

// TestAllocationsAreSplitByOwner runs the built-in service and checks that
// the memory profile's split (alloc.own.*, alloc.sdk.*, alloc.harness.*)
// is there and adds up to no more than the process's whole allocations.
func TestAllocationsAreSplitByOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress once: skipped in -short mode")
	}
	sc, err := scenario.Load("../scenarios/stress.yaml")
	require.NoError(t, err)
	// Full size: the split is sampled (one sample per 16 KiB), and 2,000
	// tasks give each owner enough samples for a bound of a few percent.
	res, err := Run(t.Context(), sc, Options{Repeats: 1})
	require.NoError(t, err)
	m := res.Cases[0].Runs[0].Metrics
	total := m["alloc.bytes_per_message"]
	own, sdk, harness := m[metric.AllocOwnBytes], m[metric.AllocSDKBytes], m[metric.AllocHarnessBytes]
	t.Logf("per task: total %.0f B, own %.0f B, sdk %.0f B, harness %.0f B", total, own, sdk, harness)
	// The service's handler alone allocates each task's payload buffer
	// (service.downloadHandler), the SDK a few KiB per request.
	assert.Greater(t, own, 1000.0)
	assert.Greater(t, sdk, own)
	assert.Positive(t, harness)
	assert.Positive(t, m[metric.AllocOwn])
	// Sampled estimates: their sum may exceed the exact total by the
	// sampling noise only (about 3% at this size; the bound is five times
	// that); the rest is the standard library's own goroutines (net/http's
	// connection loops).
	assert.Less(t, own+sdk+harness, total*1.15)
}
