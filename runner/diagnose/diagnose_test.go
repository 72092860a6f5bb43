package diagnose

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

// Rule-level tests on fixed inputs: the bounds, their edges and the
// evidence text. The provoke tests check the same rules on real workloads.

func TestEmptyInputIsNoneWithAWarning(t *testing.T) {
	fs := Diagnose(nil, nil, Context{})
	require.Len(t, fs, 1)
	assert.Equal(t, None, fs[0].Category)
	assert.Contains(t, fs[0].Summary, "no probe metrics")
}

func TestBoundsAreStrict(t *testing.T) {
	atBounds := map[string]float64{
		"sched.latency.over_10ms": SchedOver10msBound,
		"tick.lag.over_100ms":     TickLagOver100msBound,
		"gc.cpu_fraction":         GCCPUFractionBound,
		"gc.pause.p99":            GCPauseP99Bound.Seconds(),
		"gc.cycles":               100,
		"stage.dispatch_wait.p50": 0.010,
		"stage.process.p50":       0.010,
	}
	fs := Diagnose(atBounds, nil, Context{})
	assert.Equal(t, []string{None}, categories(fs), "a value at a bound has not crossed it")
}

func TestSchedulerEvidenceAndAdvice(t *testing.T) {
	m := map[string]float64{
		"sched.latency.over_10ms": 0.12,
		"sched.latency.p99":       0.0412,
		"cpu.per_message":         0.004,
		"stage.process.mean":      0.005,
	}
	fs := Diagnose(m, nil, Context{GOMAXPROCS: 2, Workers: 32, CPUUtilization: 0.97})
	require.Equal(t, []string{Scheduler}, categories(fs))
	f := fs[0]
	assert.Equal(t, []string{
		"sched.latency.over_10ms = 12.0% > 5.0%",
		"sched.latency.p99 = 41.2ms",
		"CPU utilisation = 97.0% of GOMAXPROCS",
		"workers = 32 > 2 × GOMAXPROCS (2) with CPU-bound tasks",
	}, f.Evidence)
	assert.Contains(t, f.Advice[0], "cap CPU-bound workers near GOMAXPROCS (2)")
	assert.Contains(t, f.Advice[1], "saturated")
}

func TestLateTicksWithoutGoBacklogBlameTheMachine(t *testing.T) {
	m := map[string]float64{
		"sched.latency.over_10ms": 0.001,
		"tick.lag.over_100ms":     0.08,
		"cpu.per_message":         0.0001,
		"stage.process.mean":      0.010,
	}
	fs := Diagnose(m, nil, Context{CPUUtilization: 0.05})
	require.Equal(t, []string{Scheduler, IO}, categories(fs), "the machine's starvation does not hide real I/O waits")
	assert.Contains(t, fs[0].Summary, "starved of CPU by the machine")
	assert.Equal(t, "tick.lag.over_100ms = 8.0% > 5.0% (red zone)", fs[0].Evidence[0])
}

func TestGCPauseNeedsEnoughCycles(t *testing.T) {
	m := map[string]float64{"gc.pause.p99": 0.050, "gc.cycles": GCMinCyclesForPause - 1}
	assert.Equal(t, []string{None}, categories(Diagnose(m, nil, Context{})))
	m["gc.cycles"] = GCMinCyclesForPause
	fs := Diagnose(m, nil, Context{})
	require.Equal(t, []string{GC}, categories(fs))
	assert.Equal(t, "gc.pause.p99 = 50ms > 10ms over 10 cycles", fs[0].Evidence[0])
}

func TestLeakFromBatchesWithoutSlopeMetrics(t *testing.T) {
	var batches []result.BatchPoint
	for i := 1; i <= 4; i++ {
		batches = append(batches, result.BatchPoint{Batch: i, HeapLive: float64(i) * (2 << 20), Goroutines: 20})
	}
	fs := Diagnose(map[string]float64{}, batches, Context{})
	require.Equal(t, []string{Leak}, categories(fs))
	assert.Equal(t, "heap.live.slope = 2.0 MiB per batch > 256.0 KiB", fs[0].Evidence[0])
	assert.Equal(t, "heap.live.growth = 300.0% > 25.0% (2.0 MiB -> 8.0 MiB over 4 batches)", fs[0].Evidence[1])

	assert.Equal(t, []string{None}, categories(Diagnose(nil, batches[:LeakMinBatches-1], Context{})),
		"two points are not a trend")

	flat := []result.BatchPoint{{Batch: 1, HeapLive: 100 << 20}, {Batch: 2, HeapLive: 101 << 20}, {Batch: 3, HeapLive: 102 << 20}}
	assert.Equal(t, []string{None}, categories(Diagnose(nil, flat, Context{})),
		"1 MiB per batch on a 100 MiB heap is growth below the relative bound")
}

func TestBackpressureIgnoresMicrosecondWaits(t *testing.T) {
	m := map[string]float64{"stage.dispatch_wait.p50": 500e-6, "stage.process.p50": 10e-6}
	assert.Equal(t, []string{None}, categories(Diagnose(m, nil, Context{})))
	m["stage.dispatch_wait.p50"] = 0.2
	m["stage.process.p50"] = 0.01
	fs := Diagnose(m, nil, Context{CPUUtilization: 0.3})
	require.Equal(t, []string{Backpressure}, categories(fs))
	assert.Contains(t, fs[0].Advice[0], "add workers", "idle CPU: more workers help")
	fs = Diagnose(m, nil, Context{CPUUtilization: 0.95})
	assert.Contains(t, fs[0].Advice[0], "will not help", "busy CPU: more workers do not")
}

func TestIOFromConfiguredTaskCostAndDerivedUtilisation(t *testing.T) {
	m := map[string]float64{"cpu.per_message": 0.0005, "processed": 1000, "duration": 10}
	c := Context{GOMAXPROCS: 2, Workers: 4, TaskCPU: time.Millisecond, TaskIO: 20 * time.Millisecond}
	fs := Diagnose(m, nil, c)
	require.Equal(t, []string{IO}, categories(fs))
	assert.Equal(t, "CPU utilisation = 2.5% of GOMAXPROCS < 50.0%", fs[0].Evidence[0])
	assert.Contains(t, fs[0].Evidence[1], "configured task I/O wait 20ms of 21ms per task")
	assert.Contains(t, fs[0].Advice[0], "4 workers")

	m["cpu.utilization"] = 0.9
	assert.Equal(t, []string{None}, categories(Diagnose(m, nil, c)), "an explicit utilisation wins over the derived one")
}

func TestNaNAndInfAreIgnored(t *testing.T) {
	m := map[string]float64{"sched.latency.over_10ms": math.NaN(), "gc.cpu_fraction": math.Inf(1)}
	assert.Equal(t, []string{None}, categories(Diagnose(m, nil, Context{})))
}

func TestFormatting(t *testing.T) {
	assert.Equal(t, "1.5s", dur(1.5))
	assert.Equal(t, "12.35ms", dur(0.012345))
	assert.Equal(t, "12.3µs", dur(12.34e-6))
	assert.Equal(t, "0.50%", pct(0.005))
	assert.Equal(t, "12.0%", pct(0.12))
	assert.Equal(t, "512 B", bytesText(512))
	assert.Equal(t, "1.5 GiB", bytesText(1.5*(1<<30)))
}
