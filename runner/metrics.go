package runner

import (
	"context"
	"maps"
	"runtime"
	"time"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/runner/fault"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/probe"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqscount"
)

// costSnapshot is what a run costs so far, read at exactly two points: the
// start and the end of the measure phase (see measureWindow). It is a
// struct so that readings of other processes (the SQS server's CPU and
// allocations, as harness metrics) can join without touching the phases.
type costSnapshot struct {
	// Process is this process's CPU time and allocations.
	Process collect.Cost
	// Requests are the service's SQS requests so far.
	Requests sqscount.Counts
	// Server is the SQS server process's CPU and allocations, known
	// (ServerKnown) only for the embedded server in its child process;
	// ServerErr says why a reading failed.
	Server      sqsbackend.ServerCost
	ServerKnown bool
	ServerErr   error
	// Allocs is the memory profile, attributed: what the consumer's own
	// code, the SDK and the runner allocated so far (read only for a
	// consumer in this process).
	Allocs collect.AllocProfile
}

// takeCostSnapshot reads every cost source once. requests and b may be
// nil (no counter, no backend).
func takeCostSnapshot(ctx context.Context, requests *sqscount.Counter, b *sqsbackend.Backend) costSnapshot {
	c := costSnapshot{Process: collect.CostSnapshot()}
	if requests != nil {
		c.Requests = requests.Snapshot()
	}
	c.Server, c.ServerKnown, c.ServerErr = b.ServerCost(ctx)
	return c
}

// measureWindow is the measured part of a run: from the start of the load
// to the moment every message was accounted for (or the timeout).
type measureWindow struct {
	Start, End    time.Time
	Before, After costSnapshot
}

// begin opens the window of a run whose consumer runs in this process:
// the memory profile (after a GC that publishes it) first, then the costs.
func (w *measureWindow) begin(ctx context.Context, requests *sqscount.Counter, b *sqsbackend.Backend) {
	allocs := collect.DefaultAttribution.ReadAllocProfile()
	w.Before = takeCostSnapshot(ctx, requests, b)
	w.Before.Allocs = allocs
	w.Start = time.Now()
}

// finish closes it: the costs first, so that the GC which publishes the
// memory profile is not counted in the window's CPU.
func (w *measureWindow) finish(ctx context.Context, requests *sqscount.Counter, b *sqsbackend.Backend) {
	w.End = time.Now()
	w.After = takeCostSnapshot(ctx, requests, b)
	w.After.Allocs = collect.DefaultAttribution.ReadAllocProfile()
}

// Seconds is the window's wall time.
func (w measureWindow) Seconds() float64 { return w.End.Sub(w.Start).Seconds() }

// utilization is the share of the machine's cores this process used
// during the window (0 when the wall time is zero).
func (w measureWindow) utilization(procs int) float64 {
	wall := w.Seconds()
	if wall <= 0 || procs <= 0 {
		return 0
	}
	return (w.After.Process.CPU - w.Before.Process.CPU).Seconds() / wall / float64(procs)
}

// runMeasurements is everything a full run collected, as plain values:
// assembleMetrics turns it into the run's metrics without side effects.
type runMeasurements struct {
	// Collector are the collector's metrics for the window and Accounting
	// its per-id tally (Processed scales the per-message costs).
	Collector  map[string]float64
	Accounting result.Accounting
	Window     measureWindow
	Probe      probe.Summary
	// Throughput is the runner's throughput series (tasks/s per sample,
	// T in seconds since Window.Start): the basis of the recovery time.
	Throughput result.Series
	// Faults are the injected faults' counts; nil when none were injected.
	Faults *fault.Counts
	// CrashedAt is when the injected crash killed the service; zero
	// when there was none.
	CrashedAt time.Time
}

// assembleMetrics returns a full run's metrics and the run errors they
// imply (a crash the throughput never recovered from).
func assembleMetrics(m runMeasurements) (map[string]float64, []string) {
	out := map[string]float64{}
	maps.Copy(out, m.Collector)
	maps.Copy(out, collect.PerMessage(m.Window.Before.Process, m.Window.After.Process, m.Accounting.Processed))
	maps.Copy(out, m.Probe.Metrics)
	maps.Copy(out, sqscount.PerMessage(m.Window.After.Requests.Sub(m.Window.Before.Requests), m.Accounting.Processed))
	maps.Copy(out, harnessPerMessage(m.Window, m.Accounting.Processed))
	maps.Copy(out, ownersPerMessage(m.Window, m.Accounting.Processed))
	var errs []string
	if !m.CrashedAt.IsZero() {
		if rec, ok := recovery(m); ok {
			out[metric.Recovery] = rec.Seconds()
		} else {
			errs = append(errs, "throughput did not recover to half its pre-crash rate before the run ended")
		}
	}
	if c := m.Faults; c != nil {
		out[metric.FaultsInjected] = float64(c.Throttled + c.Errors + c.Timeouts + c.Dropped + c.Delayed)
		out[metric.FaultsCalls] = float64(c.Calls)
	}
	return out, errs
}

// harnessPerMessage is the SQS server's share, measured in its own
// process: what it spent in the window per task processed.
func harnessPerMessage(w measureWindow, processed int) map[string]float64 {
	if !w.Before.ServerKnown || !w.After.ServerKnown || processed <= 0 {
		return nil
	}
	d := w.After.Server.Sub(w.Before.Server)
	n := float64(processed)
	return map[string]float64{
		metric.HarnessCPU:        d.CPU.Seconds() / n,
		metric.HarnessAllocs:     float64(d.Allocs) / n,
		metric.HarnessAllocBytes: float64(d.AllocBytes) / n,
	}
}

// ownersPerMessage splits the allocations of the window by whose code
// asked for them (collect.Attribution): the consumer's own code, the AWS
// SDK, the runner. The consumer's own share does not move with how many
// messages each SQS request carried, which is what makes the whole
// process's alloc.bytes_per_message noisy.
func ownersPerMessage(w measureWindow, processed int) map[string]float64 {
	owners := w.After.Allocs.Since(w.Before.Allocs)
	if owners == nil || processed <= 0 {
		return nil
	}
	n := float64(processed)
	own, sdk, harness := owners[collect.OwnerConsumer], owners[collect.OwnerSDK], owners[collect.OwnerHarness]
	return map[string]float64{
		metric.AllocOwnBytes:     own.Bytes / n,
		metric.AllocOwn:          own.Objects / n,
		metric.AllocSDKBytes:     sdk.Bytes / n,
		metric.AllocHarnessBytes: harness.Bytes / n,
	}
}

// recoveryAfter returns how long after a crash at killedAt (seconds into
// the series) the throughput took to get back to half of its rate over
// the two seconds before the crash. The bound is deliberately loose: a
// restarted service first waits for the leases of the killed one to
// lapse, then catches up.
// recovery is how long the service took to be back at work after the
// injected crash: until its throughput is back at half the pre-crash
// rate, or until the last task was done if that came first. A short run
// (a fifth of its size, say) can finish its remaining work between two
// throughput samples, or crash before the first one gave a pre-crash
// rate; the work being done is then the recovery, not a failure to
// recover. A run that ended with work lost did not recover.
func recovery(m runMeasurements) (time.Duration, bool) {
	rec, ok := recoveryAfter(m.Throughput, m.CrashedAt.Sub(m.Window.Start).Seconds())
	if m.Accounting.Lost > 0 || m.Accounting.Processed == 0 || !m.Window.End.After(m.CrashedAt) {
		return rec, ok
	}
	if done := m.Window.End.Sub(m.CrashedAt); !ok || done < rec {
		return done, true
	}
	return rec, true
}

func recoveryAfter(rates result.Series, killedAt float64) (time.Duration, bool) {
	var sum float64
	var n int
	for i, t := range rates.T {
		if t <= killedAt && t > killedAt-2 {
			sum += rates.Value[i]
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	target := sum / float64(n) / 2
	if target <= 0 {
		return 0, false
	}
	for i, t := range rates.T {
		if t > killedAt && rates.Value[i] >= target {
			return time.Duration((t - killedAt) * float64(time.Second)), true
		}
	}
	return 0, false
}

// loadOnlyMeasurements is what a load-only run collected.
type loadOnlyMeasurements struct {
	JobsSent, TasksSent int
	Window              measureWindow
	Probe               probe.Summary
	// DLQBefore and DLQAfter are the dead-letter queue's totals around
	// the run; DLQKnown is false when the end could not be read.
	DLQBefore, DLQAfter int64
	DLQKnown            bool
}

// assembleLoadOnlyMetrics returns a load-only run's metrics: what the
// queues and the load generator can see.
func assembleLoadOnlyMetrics(m loadOnlyMeasurements) map[string]float64 {
	out := map[string]float64{}
	maps.Copy(out, m.Probe.Metrics)
	out[metric.JobsSent] = float64(m.JobsSent)
	out[metric.Sent] = float64(m.TasksSent)
	wall := m.Window.Seconds()
	out[metric.RunDuration] = wall
	if wall > 0 {
		out[metric.Throughput] = float64(m.TasksSent) / wall
	}
	if m.DLQKnown {
		out[metric.DeadLetteredQueue] = float64(max(0, m.DLQAfter-m.DLQBefore))
	}
	return out
}

// gomaxprocs is read once per use; a variable so the diagnosis context
// and the utilization agree.
func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
