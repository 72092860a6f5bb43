// Package diagnose turns a run's measurements into a doctor-style verdict,
// in the manner of Clinic Doctor but for a Go worker-pool service: is the
// scheduler starved, is the GC the cost, is the service waiting on I/O, is
// work queuing in front of too few workers, does memory climb. Like
// Doctor it gives one primary finding per run, never two that contradict
// each other, names the numbers that crossed which bounds, and advises
// only from evidence the run has (a profile it did not take is something
// to take, not something to read). Regression explains a metric that
// regressed against the baseline.
package diagnose

import (
	"fmt"
	"math"
	"time"

	"github.com/montanaflynn/stats"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// Categories of a finding.
const (
	Scheduler    = "scheduler"
	GC           = "gc"
	IO           = "io"
	Backpressure = "backpressure"
	Leak         = "leak"
	None         = "none"
)

// Bounds. Each is a level past which a run is unhealthy enough to say so;
// they are chosen to stay quiet on a busy but healthy 2-core CI machine.
const (
	// SchedOver10msBound: share of scheduler-latency samples above 10ms.
	// A healthy pool rarely leaves a runnable goroutine waiting a whole
	// 10ms time slice; 5% means one wake-up in twenty does. Gated on a
	// share, not on p99, because the runtime's buckets are ~25% wide.
	SchedOver10msBound = 0.05
	// TickLagOver100msBound: share of 10ms ticks more than 100ms late (the
	// original guide's red zone for event-loop delay). One tick in twenty:
	// a 2-core machine running eight test suites at once stays below it.
	TickLagOver100msBound = 0.05
	// SaturatedCPUBound: CPU utilisation (of GOMAXPROCS) above which the
	// process is CPU-bound, which decides the scheduler advice.
	SaturatedCPUBound = 0.85

	// GCCPUFractionBound: share of the process's CPU spent in GC. Go's
	// pacer aims at about 25% while marking; above that across a whole run
	// the service allocates faster than the GC can keep up cheaply.
	GCCPUFractionBound = 0.25
	// GCPauseP99Bound: p99 stop-the-world pause. Go's pauses are normally
	// well under a millisecond; 10ms means stops are hurting latency.
	GCPauseP99Bound = 10 * time.Millisecond
	// GCMinCyclesForPause: fewer cycles than this are too few samples for
	// a p99 to mean anything.
	GCMinCyclesForPause = 10

	// IOIdleCPUBound: CPU utilisation below which the process is mostly idle.
	IOIdleCPUBound = 0.50
	// IOWaitShareBound: share of a task's processing time spent off CPU
	// (1 - CPU per message / processing time) above which tasks mostly wait
	// on something outside the process.
	IOWaitShareBound = 0.75

	// DispatchWaitDominanceBound: a task that waits for a worker longer
	// than this many times its processing time spends most of its life
	// queued inside the service.
	DispatchWaitDominanceBound = 1.0
	// DispatchWaitFloor ignores dispatch waits too short to matter, so a
	// pool of microsecond tasks does not report backpressure from jitter.
	DispatchWaitFloor = time.Millisecond

	// LeakMinBatches: quiet points needed before a trend is a trend.
	LeakMinBatches = 3
	// LeakHeapGrowthBound: post-GC live heap growth from the first quiet
	// point to the last.
	LeakHeapGrowthBound = 0.25
	// LeakHeapSlopeBound: bytes per batch the post-GC baseline must climb,
	// so a small heap's noise does not look like a leak.
	LeakHeapSlopeBound = 256 << 10
	// LeakGoroutineSlopeBound and LeakGoroutineGrowthBound: goroutines per
	// batch, and in all, that the quiet-point count must climb. Connection
	// pools legitimately add a few; a leak adds them every batch.
	LeakGoroutineSlopeBound  = 2.0
	LeakGoroutineGrowthBound = 10
)

// Context is what Diagnose knows about the run besides its metrics.
type Context struct {
	// GOMAXPROCS the service ran with; 0 means unknown.
	GOMAXPROCS int
	// Workers is the pool size; 0 means unknown.
	Workers int
	// TaskCPU and TaskIO are the configured CPU work and I/O wait of one
	// task, when the handler is the built-in one (zero when unknown). They
	// tell CPU-bound from I/O-bound work when stage timings are missing.
	TaskCPU, TaskIO time.Duration
	// CPUUtilization is process CPU time over wall time × GOMAXPROCS
	// (0..1). Zero means not measured; Diagnose then derives it from
	// m["cpu.utilization"] or from cpu.per_message, processed and duration.
	CPUUtilization float64
	// Profiles are the kinds of profile written for this run ("cpu",
	// "heap", "trace", as in result.Profile.Kind). Advice points at a
	// profile only when it exists, and otherwise says how to take one.
	Profiles []string
	// AllocDiff is the comparison of the two sides' allocation profiles
	// in this case, when the run was judged against a revision (A/B); an
	// allocation regression then names its files and the functions that
	// grew. Nil otherwise.
	AllocDiff *result.AllocDiff
}

func (c Context) hasProfile(kind string) bool {
	for _, k := range c.Profiles {
		if k == kind {
			return true
		}
	}
	return false
}

// Diagnose returns the one primary finding for a run: the most
// fundamental bound crossed, or "none" with the numbers that held. Rules
// are tried from cause to symptom (leak, gc, scheduler, backpressure,
// io): a leak makes the GC work, the GC takes CPU from goroutines, and a
// starved scheduler or a small pool leaves tasks off CPU, so a later
// rule's crossing is explained by an earlier one and is not reported
// beside it, where it would read as a second, contradicting diagnosis.
// The one merge: tasks that wait for a worker while the CPU idles are a
// pool too small for I/O-bound work, one finding with both evidences.
// m holds the run's metrics by flat key; batches the quiet points. The
// slice always has exactly one element.
func Diagnose(m map[string]float64, batches []result.BatchPoint, c Context) []result.Finding {
	in := inputs{m: m, batches: batches, c: c}
	in.util, in.utilKnown = in.cpuUtilization()
	for _, rule := range []func(*inputs) (result.Finding, bool){leak, garbageCollector, scheduler, backpressure, ioBound} {
		if f, ok := rule(&in); ok {
			return []result.Finding{f}
		}
	}
	return []result.Finding{healthy(&in)}
}

type inputs struct {
	m         map[string]float64
	batches   []result.BatchPoint
	c         Context
	util      float64
	utilKnown bool
}

func (in *inputs) get(key string) (float64, bool) {
	v, ok := in.m[key]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func (in *inputs) procs() int {
	if in.c.GOMAXPROCS > 0 {
		return in.c.GOMAXPROCS
	}
	return 0
}

func (in *inputs) cpuUtilization() (float64, bool) {
	if in.c.CPUUtilization > 0 {
		return in.c.CPUUtilization, true
	}
	if v, ok := in.get("cpu.utilization"); ok && v > 0 {
		return v, true
	}
	perMsg, ok1 := in.get(metric.CPUPerMessage)
	processed, ok2 := in.get(metric.Processed)
	duration, ok3 := in.get(metric.RunDuration)
	if ok1 && ok2 && ok3 && duration > 0 && in.procs() > 0 {
		return perMsg * processed / (duration * float64(in.procs())), true
	}
	return 0, false
}

// ioShare is the share of a task's processing time spent off CPU, from the
// measured stage timings, else from the configured task cost.
func (in *inputs) ioShare() (share float64, evidence string, ok bool) {
	perMsg, ok1 := in.get(metric.CPUPerMessage)
	process, ok2 := in.get(metric.Key(metric.StageProcess, "mean"))
	if !ok2 {
		process, ok2 = in.get(metric.Key(metric.StageProcess, "p50"))
	}
	if ok1 && ok2 && process > 0 {
		share = max(0, 1-perMsg/process)
		return share, fmt.Sprintf("off-CPU share of processing = %s (1 - cpu.per_message %s / stage.process %s) > %s",
			pct(share), dur(perMsg), dur(process), pct(IOWaitShareBound)), true
	}
	if total := in.c.TaskCPU + in.c.TaskIO; total > 0 {
		share = float64(in.c.TaskIO) / float64(total)
		return share, fmt.Sprintf("configured task I/O wait %s of %s per task = %s > %s",
			in.c.TaskIO, total, pct(share), pct(IOWaitShareBound)), true
	}
	return 0, "", false
}

func scheduler(in *inputs) (result.Finding, bool) {
	var evidence []string
	goStarved := false
	if v, ok := in.get(metric.SchedLatencyOver10ms); ok && v > SchedOver10msBound {
		evidence = append(evidence, fmt.Sprintf("sched.latency.over_10ms = %s > %s", pct(v), pct(SchedOver10msBound)))
		goStarved = true
	}
	if v, ok := in.get(metric.TickLagOver100ms); ok && v > TickLagOver100msBound {
		evidence = append(evidence, fmt.Sprintf("tick.lag.over_100ms = %s > %s (red zone)", pct(v), pct(TickLagOver100msBound)))
	}
	if len(evidence) == 0 {
		return result.Finding{}, false
	}
	if v, ok := in.get(metric.Key(metric.SchedLatency, "p99")); ok {
		evidence = append(evidence, "sched.latency.p99 = "+dur(v))
	}
	if v, ok := in.get(metric.Key(metric.TickLag, "p99")); ok {
		evidence = append(evidence, "tick.lag.p99 = "+dur(v))
	}
	if in.utilKnown {
		evidence = append(evidence, fmt.Sprintf("CPU utilisation = %s of GOMAXPROCS", pct(in.util)))
	}
	if !goStarved {
		// The machine took the CPU, so off-CPU shares and wait times of
		// this run are inflated too: an I/O or backpressure reading would
		// be this same starvation seen from another side.
		// Ticks were late but the Go run queue was not: the whole process
		// waited for the operating system, not for its own goroutines.
		return result.Finding{
			Category: Scheduler,
			Summary:  "the process as a whole was starved of CPU by the machine (ticks late while the Go scheduler had no backlog)",
			Evidence: evidence,
			Advice: []string{
				"other processes or a CPU quota (container limits, cgroup throttling) took the CPU: time-based numbers from this run are unreliable",
				"rerun on a quieter machine, or judge this scenario by CPU time and allocations per message, which other processes disturb far less",
				"in a container, set GOMAXPROCS to the CPU quota so the runtime does not run more threads than it is allowed",
			},
		}, true
	}
	var advice []string
	cpuBound := true
	if share, _, ok := in.ioShare(); ok {
		cpuBound = share < 0.5
	}
	p := in.procs()
	if in.c.Workers > 0 && p > 0 && in.c.Workers > 2*p && cpuBound {
		evidence = append(evidence, fmt.Sprintf("workers = %d > 2 × GOMAXPROCS (%d) with CPU-bound tasks", in.c.Workers, p))
		advice = append(advice, fmt.Sprintf("cap CPU-bound workers near GOMAXPROCS (%d): more only queue for the CPU and add latency to everything else in the process", p))
	}
	if in.utilKnown && in.util >= SaturatedCPUBound {
		where := "add profile: {cpu: true} to the scenario and look at the CPU profile's top functions"
		if in.c.hasProfile("cpu") {
			where = "see the CPU profile's top functions (go tool pprof -top cpu.pprof)"
		}
		advice = append(advice, "the CPU is saturated: cut work per message ("+where+") or give the service more cores")
	} else {
		where := "record an execution trace (profile: {trace: 5s} in the scenario) and open it with go tool trace"
		if in.c.hasProfile("trace") {
			where = "open the execution trace with go tool trace trace.out"
		}
		advice = append(advice, "latency without a saturated CPU points at long non-preemptible stretches (tight loops, cgo calls, LockOSThread): "+where)
	}
	advice = append(advice, "move CPU-heavy work off the goroutines that poll SQS and extend leases, so heartbeats are not starved")
	return result.Finding{
		Category: Scheduler,
		Summary:  "runnable goroutines wait for a CPU: the scheduler is starved",
		Evidence: evidence,
		Advice:   advice,
	}, true
}

func garbageCollector(in *inputs) (result.Finding, bool) {
	var evidence []string
	if v, ok := in.get(metric.GCCPUFraction); ok && v > GCCPUFractionBound {
		evidence = append(evidence, fmt.Sprintf("gc.cpu_fraction = %s > %s", pct(v), pct(GCCPUFractionBound)))
	}
	cycles, _ := in.get(metric.GCCycles)
	if v, ok := in.get(metric.Key(metric.GCPause, "p99")); ok && v > GCPauseP99Bound.Seconds() && cycles >= GCMinCyclesForPause {
		evidence = append(evidence, fmt.Sprintf("gc.pause.p99 = %s > %s over %.0f cycles", dur(v), GCPauseP99Bound, cycles))
	}
	if len(evidence) == 0 {
		return result.Finding{}, false
	}
	evidence = append(evidence, fmt.Sprintf("gc.cycles = %.0f", cycles))
	if v, ok := in.get(metric.AllocBytesPerMessage); ok {
		evidence = append(evidence, "alloc.bytes_per_message = "+bytesText(v))
	}
	return result.Finding{
		Category: GC,
		Summary:  "garbage collection takes a large share of the CPU or stops the world for long",
		Evidence: evidence,
		Advice: []string{
			"allocate less per message: reuse buffers (sync.Pool), avoid per-message maps and string conversions; " + in.heapProfileAdvice("go tool pprof -sample_index=alloc_space -top heap.pprof", "to see which functions allocate"),
			"if memory allows, raise GOGC or set GOMEMLIMIT so the GC runs less often",
			"a large pointer-rich live heap makes every cycle expensive: keep caches small or pointer-free",
		},
	}, true
}

func leak(in *inputs) (result.Finding, bool) {
	if len(in.batches) < LeakMinBatches {
		return result.Finding{}, false
	}
	first, last := in.batches[0], in.batches[len(in.batches)-1]
	var evidence, advice []string
	heapSlope, ok := in.get(metric.HeapLiveSlope)
	if !ok {
		heapSlope, ok = slope(in.batches, func(b result.BatchPoint) float64 { return b.HeapLive })
	}
	if ok && first.HeapLive > 0 {
		growth := last.HeapLive/first.HeapLive - 1
		if heapSlope > LeakHeapSlopeBound && growth > LeakHeapGrowthBound {
			evidence = append(evidence,
				fmt.Sprintf("heap.live.slope = %s per batch > %s", bytesText(heapSlope), bytesText(LeakHeapSlopeBound)),
				fmt.Sprintf("heap.live.growth = %s > %s (%s -> %s over %d batches)", pct(growth), pct(LeakHeapGrowthBound),
					bytesText(first.HeapLive), bytesText(last.HeapLive), len(in.batches)))
			advice = append(advice, in.heapProfileAdvice("go tool pprof -sample_index=inuse_space -top heap.pprof", "to see what the end of the run still holds"))
		}
	}
	goSlope, ok := in.get(metric.GoroutinesSlope)
	if !ok {
		goSlope, ok = slope(in.batches, func(b result.BatchPoint) float64 { return b.Goroutines })
	}
	if growth := last.Goroutines - first.Goroutines; ok && goSlope > LeakGoroutineSlopeBound && growth >= LeakGoroutineGrowthBound {
		evidence = append(evidence, fmt.Sprintf("goroutines.slope = %.1f per batch > %.1f (%.0f -> %.0f goroutines)",
			goSlope, LeakGoroutineSlopeBound, first.Goroutines, last.Goroutines))
		advice = append(advice, "goroutines that never exit: look for sends or receives without a ctx.Done() case, and timers or tickers never stopped (a goroutine profile, debug=2, shows where they block)")
	}
	if len(evidence) == 0 {
		return result.Finding{}, false
	}
	return result.Finding{
		Category: Leak,
		Summary:  "memory or goroutines at the quiet point after each batch keep climbing",
		Evidence: evidence,
		Advice:   append(advice, "caches and maps keyed by job or message id must be bounded or cleared when the job ends"),
	}, true
}

func backpressure(in *inputs) (result.Finding, bool) {
	wait, ok1 := in.get(metric.Key(metric.StageDispatchWait, "p50"))
	process, ok2 := in.get(metric.Key(metric.StageProcess, "p50"))
	if !ok1 || !ok2 || wait < DispatchWaitFloor.Seconds() || wait <= DispatchWaitDominanceBound*process {
		return result.Finding{}, false
	}
	evidence := []string{fmt.Sprintf("stage.dispatch_wait.p50 = %s > %.1f × stage.process.p50 (%s)",
		dur(wait), DispatchWaitDominanceBound, dur(process))}
	if in.c.Workers > 0 {
		evidence = append(evidence, fmt.Sprintf("workers = %d", in.c.Workers))
	}
	// queue.depth.max is the SQS queues' depth, sampled about once a
	// second: a backlog there agrees with this finding, but zero (a short
	// run between samples) says nothing about the pool, so it is left out
	// rather than shown beside a finding it seems to contradict.
	if v, ok := in.get(metric.QueueDepthMax); ok && v > 0 {
		evidence = append(evidence, fmt.Sprintf("queue.depth.max = %.0f messages waiting in SQS", v))
	}
	if in.utilKnown {
		evidence = append(evidence, fmt.Sprintf("CPU utilisation = %s of GOMAXPROCS", pct(in.util)))
	}
	summary := "tasks wait longer for a worker than they take to run, and the CPU is busy: the pool cannot go faster on this machine"
	var advice []string
	idle := in.utilKnown && in.util < IOIdleCPUBound
	share, shareEvidence, shareOK := in.ioShare()
	switch {
	case idle && shareOK && share > IOWaitShareBound:
		// The I/O reading and this one are the same story: workers are
		// all waiting on downstream calls, so the pool is the limit.
		evidence = append(evidence, shareEvidence)
		summary = "tasks wait longer for a worker than they take to run while the CPU idles: the workers spend their time waiting on I/O, so the pool size is the limit"
		advice = append(advice, "add workers (WORKER_POOL_SIZE): with I/O-bound tasks and an idle CPU, throughput rises nearly linearly until the CPU, the downstream or SQS limits")
	case in.utilKnown && in.util < SaturatedCPUBound:
		summary = "tasks wait longer for a worker than they take to run, and the CPU has room: the pool is too small"
		advice = append(advice, "the CPU has room: add workers (WORKER_POOL_SIZE) until dispatch wait falls or the CPU saturates")
	default:
		advice = append(advice, "the CPU is busy, so more workers will not help: make each task cheaper or scale out")
	}
	advice = append(advice,
		"a shorter internal queue (MAX_QUEUE_SIZE) hands work back to SQS (download-tasks) sooner instead of holding it in memory where it waits and its lease runs",
		"fewer concurrent jobs (MAX_CONCURRENT_JOBS) lowers how much work is pulled in at once")
	return result.Finding{
		Category: Backpressure,
		Summary:  summary,
		Evidence: evidence,
		Advice:   advice,
	}, true
}

func ioBound(in *inputs) (result.Finding, bool) {
	// Reached only when the scheduler was not starved (that would leave
	// tasks off CPU too, waiting for one, which is not I/O) and no task
	// waited for a worker (backpressure covers that case).
	if !in.utilKnown || in.util >= IOIdleCPUBound {
		return result.Finding{}, false
	}
	share, shareEvidence, ok := in.ioShare()
	if !ok || share <= IOWaitShareBound {
		return result.Finding{}, false
	}
	evidence := []string{
		fmt.Sprintf("CPU utilisation = %s of GOMAXPROCS < %s", pct(in.util), pct(IOIdleCPUBound)),
		shareEvidence,
	}
	if v, ok := in.get(metric.Key(metric.StageProcess, "p50")); ok {
		evidence = append(evidence, "stage.process.p50 = "+dur(v))
	}
	advice := []string{
		"the CPU is idle while tasks wait on downstream calls: more concurrency (workers) raises throughput nearly linearly until the downstream or SQS limits",
		"check the downstream's latency and timeouts; batch or pipeline calls where the API allows",
	}
	if in.c.Workers > 0 {
		advice[0] = fmt.Sprintf("the CPU is idle while %d workers wait on downstream calls: more workers raise throughput nearly linearly until the downstream or SQS limits", in.c.Workers)
	}
	return result.Finding{
		Category: IO,
		Summary:  "the process is mostly idle: tasks spend their time waiting on I/O",
		Evidence: evidence,
		Advice:   advice,
	}, true
}

// healthy reports the key numbers that stayed within bounds, so "none" is
// itself evidence and not an absence of data.
func healthy(in *inputs) result.Finding {
	var evidence []string
	add := func(key, bound string, format func(float64) string) {
		if v, ok := in.get(key); ok {
			evidence = append(evidence, fmt.Sprintf("%s = %s (bound %s)", key, format(v), bound))
		}
	}
	add(metric.SchedLatencyOver10ms, pct(SchedOver10msBound), pct)
	add(metric.TickLagOver100ms, pct(TickLagOver100msBound), pct)
	add(metric.GCCPUFraction, pct(GCCPUFractionBound), pct)
	add(metric.HeapLiveGrowth, pct(LeakHeapGrowthBound), pct)
	add(metric.Key(metric.StageDispatchWait, "p50"), fmt.Sprintf("%.1f × stage.process.p50", DispatchWaitDominanceBound), dur)
	if in.utilKnown {
		evidence = append(evidence, fmt.Sprintf("CPU utilisation = %s of GOMAXPROCS", pct(in.util)))
	}
	summary := "healthy: no bottleneck found, every diagnosis bound held"
	if len(evidence) == 0 {
		summary = "no bottleneck found, but no probe metrics were available to judge"
	}
	return result.Finding{
		Category: None,
		Summary:  summary,
		Evidence: evidence,
		Advice:   []string{"to find headroom, raise the load (the size factor) until a category appears"},
	}
}

// heapProfileAdvice points at the run's heap profile with command, or,
// when the run took none, says how to get one.
func (in *inputs) heapProfileAdvice(command, what string) string {
	if in.c.hasProfile("heap") {
		return "run " + command + " " + what
	}
	return "add profile: {heap: true} to the scenario and rerun " + what + " (go tool pprof on heap.pprof)"
}

func slope(batches []result.BatchPoint, value func(result.BatchPoint) float64) (float64, bool) {
	data := make(stats.Series, len(batches))
	for i, b := range batches {
		data[i] = stats.Coordinate{X: float64(b.Batch), Y: value(b)}
	}
	fit, err := stats.LinearRegression(data)
	if err != nil || len(fit) < 2 || fit[len(fit)-1].X == fit[0].X {
		return 0, false
	}
	g := (fit[len(fit)-1].Y - fit[0].Y) / (fit[len(fit)-1].X - fit[0].X)
	return g, !math.IsNaN(g)
}

func pct(v float64) string {
	if v != 0 && math.Abs(v) < 0.01 {
		return fmt.Sprintf("%.2f%%", v*100)
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

func dur(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond / 10).String()
	}
}

func bytesText(b float64) string {
	abs := math.Abs(b)
	switch {
	case abs >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case abs >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case abs >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}
