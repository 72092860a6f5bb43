package diagnose

import (
	"math"
	"strings"
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
	require.Equal(t, []string{Scheduler}, categories(fs),
		"a machine that took the CPU inflates off-CPU time too: an I/O finding beside it would be the same starvation")
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

func TestBackpressureOnIdleIOBoundWorkersIsOneFinding(t *testing.T) {
	m := map[string]float64{
		"stage.dispatch_wait.p50": 0.050, "stage.process.p50": 0.010, "stage.process.mean": 0.010,
		"cpu.per_message": 0.0002, "queue.depth.max": 0,
	}
	fs := Diagnose(m, nil, Context{Workers: 8, CPUUtilization: 0.2})
	require.Equal(t, []string{Backpressure}, categories(fs), "waiting for a worker while idle is one story, not backpressure plus io")
	f := fs[0]
	assert.Contains(t, f.Summary, "waiting on I/O")
	assert.Contains(t, f.Advice[0], "add workers")
	for _, e := range f.Evidence {
		assert.NotContains(t, e, "queue.depth.max", "an empty sampled SQS depth is no evidence for a finding about the pool")
	}
	assert.Contains(t, f.Evidence, "workers = 8")

	m["queue.depth.max"] = 40
	assert.Contains(t, Diagnose(m, nil, Context{Workers: 8, CPUUtilization: 0.2})[0].Evidence, "queue.depth.max = 40 messages waiting in SQS")
}

func TestAlwaysExactlyOneFinding(t *testing.T) {
	// Every bound crossed at once: the most fundamental cause is reported,
	// alone, because the others follow from it.
	var batches []result.BatchPoint
	for i := 1; i <= 4; i++ {
		batches = append(batches, result.BatchPoint{Batch: i, HeapLive: float64(i) * (4 << 20), Goroutines: float64(20 * i)})
	}
	m := map[string]float64{
		"sched.latency.over_10ms": 0.5, "tick.lag.over_100ms": 0.5, "gc.cpu_fraction": 0.6,
		"stage.dispatch_wait.p50": 0.2, "stage.process.p50": 0.01, "cpu.per_message": 0.0001, "stage.process.mean": 0.01,
	}
	c := Context{GOMAXPROCS: 2, Workers: 4, CPUUtilization: 0.1}
	assert.Equal(t, []string{Leak}, categories(Diagnose(m, batches, c)))
	assert.Equal(t, []string{GC}, categories(Diagnose(m, nil, c)), "without a leak, the GC's CPU explains the late goroutines")
	delete(m, "gc.cpu_fraction")
	assert.Equal(t, []string{Scheduler}, categories(Diagnose(m, nil, c)))
	delete(m, "sched.latency.over_10ms")
	delete(m, "tick.lag.over_100ms")
	assert.Equal(t, []string{Backpressure}, categories(Diagnose(m, nil, c)))
	delete(m, "stage.dispatch_wait.p50")
	assert.Equal(t, []string{IO}, categories(Diagnose(m, nil, c)))
}

func TestAdviceNamesOnlyProfilesThatExist(t *testing.T) {
	m := map[string]float64{"gc.cpu_fraction": 0.4}
	without := strings.Join(Diagnose(m, nil, Context{})[0].Advice, "\n")
	assert.Contains(t, without, "add profile: {heap: true}", "no heap profile was taken: say how to take one")
	assert.NotContains(t, without, "run go tool pprof")
	with := strings.Join(Diagnose(m, nil, Context{Profiles: []string{"heap"}})[0].Advice, "\n")
	assert.Contains(t, with, "run go tool pprof -sample_index=alloc_space -top heap.pprof")
	assert.NotContains(t, with, "add profile")

	sched := map[string]float64{"sched.latency.over_10ms": 0.2}
	noTrace := strings.Join(Diagnose(sched, nil, Context{CPUUtilization: 0.3})[0].Advice, "\n")
	assert.Contains(t, noTrace, "record an execution trace")
	trace := strings.Join(Diagnose(sched, nil, Context{CPUUtilization: 0.3, Profiles: []string{"trace"}})[0].Advice, "\n")
	assert.Contains(t, trace, "go tool trace trace.out")
}

func TestHealthySaysSo(t *testing.T) {
	fs := Diagnose(map[string]float64{"sched.latency.over_10ms": 0.001, "gc.cpu_fraction": 0.02}, nil, Context{})
	require.Equal(t, []string{None}, categories(fs))
	assert.True(t, strings.HasPrefix(fs[0].Summary, "healthy"), fs[0].Summary)
}

func TestRegressionPointsAtTheProfileDiff(t *testing.T) {
	cmp := result.Comparison{Case: "stress", Metric: "alloc.bytes_per_message", Baseline: 4096, Current: 8192, Change: 1, P: 0.002,
		Tolerance: 0.1, Verdict: "regression", BaselineSamples: []float64{4000, 4096, 4100}, CurrentSamples: []float64{8000, 8192, 8300}}
	f, ok := Regression(cmp, Context{Profiles: []string{"heap", "cpu"}})
	require.True(t, ok)
	assert.Equal(t, RegressionCategory, f.Category)
	assert.Contains(t, f.Summary, "allocations per message rose")
	assert.Equal(t, "alloc.bytes_per_message: median 4.0 KiB → 8.0 KiB (+100.0%), p = 0.002, tolerance ±10.0%", f.Evidence[0])
	assert.Contains(t, f.Evidence[1], "outside the baseline's range")
	assert.Contains(t, f.Advice[0], "go tool pprof -sample_index=alloc_space -top -diff_base BASE/heap.pprof heap.pprof")

	f, _ = Regression(cmp, Context{})
	assert.Contains(t, f.Advice[0], "runner compare -scenario FILE -against REV", "no profile here: the A/B takes both sides'")

	f, _ = Regression(cmp, Context{Profiles: []string{"allocs"}})
	assert.Contains(t, f.Advice[0], "go tool pprof -sample_index=alloc_space -top -diff_base BASE/allocs.pprof allocs.pprof",
		"a run judged against a stored baseline has its own window's allocation profile")

	cmp.Metric, cmp.Baseline, cmp.Current = "cpu.per_message", 100e-6, 130e-6
	f, _ = Regression(cmp, Context{Profiles: []string{"cpu"}})
	assert.Contains(t, f.Advice[0], "-diff_base BASE/cpu.pprof cpu.pprof")

	cmp.Verdict = "unchanged"
	_, ok = Regression(cmp, Context{})
	assert.False(t, ok, "only a regression is explained")
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

// An A/B has both sides' allocation profiles: the advice names the real
// files and the evidence the functions whose allocations grew.
func TestAllocationRegressionNamesTheProfileDiff(t *testing.T) {
	cmp := result.Comparison{Case: "stress", Metric: "alloc.own.bytes_per_message", Baseline: 18000, Current: 19900, Change: 0.105, P: 0.001,
		Tolerance: 0.1, Verdict: "regression"}
	d := &result.AllocDiff{Case: "stress", Base: "/out/A-allocs.pprof", Current: "/out/B-allocs.pprof", Grew: []result.AllocGrowth{
		{Function: "github.com/sqsperf/sqsperf/service.(*Service).invoke", Base: 100, Current: 1956},
		{Function: "encoding/json.Marshal", Base: 1024, Current: 1100},
		{Function: "a", Base: 1, Current: 3},
		{Function: "b", Base: 1, Current: 2},
	}}
	f, ok := Regression(cmp, Context{Profiles: []string{"allocs"}, AllocDiff: d})
	require.True(t, ok)
	assert.Equal(t, "go tool pprof -sample_index=alloc_space -top -diff_base /out/A-allocs.pprof /out/B-allocs.pprof",
		f.Advice[0][strings.Index(f.Advice[0], "go tool"):strings.Index(f.Advice[0], " (")])
	require.Len(t, f.Evidence, 2)
	assert.Contains(t, f.Evidence[1], "the functions that grew most")
	assert.Contains(t, f.Evidence[1], ": github.com/sqsperf/sqsperf/service.(*Service).invoke 100 B → 1.9 KiB (+1.8 KiB); encoding/json.Marshal 1.0 KiB → 1.1 KiB (+76 B); a 1 B → 3 B (+2 B)")
	assert.NotContains(t, f.Evidence[1], "; b ", "three functions at most")

	// A base revision from before the profiles: say so, name this run's.
	old := &result.AllocDiff{Case: "stress", Current: "/out/B-allocs.pprof", Note: "main (abc) wrote no allocation profile"}
	f, _ = Regression(cmp, Context{AllocDiff: old})
	assert.Len(t, f.Evidence, 1)
	assert.Equal(t, "no allocation profile diff: main (abc) wrote no allocation profile; this run's, every round merged: go tool pprof -sample_index=alloc_space -top /out/B-allocs.pprof", f.Advice[0])

	// Both profiles, nothing grew beyond the noise.
	flat := &result.AllocDiff{Case: "stress", Base: "/a", Current: "/b"}
	f, _ = Regression(cmp, Context{AllocDiff: flat})
	assert.Contains(t, f.Evidence[1], "no function allocates more per message")
}
