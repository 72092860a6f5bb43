package report

import (
	"fmt"
	"math"
	"time"

	"github.com/sqsperf/sqsperf/runner/result"
)

var fixtureStart = time.Date(2026, 11, 28, 21, 30, 0, 0, time.UTC)

// fixture returns a fully populated, deterministic scenario result: two
// matrix cases with two repeats each, every series kind the probes write,
// batch quiet points, thresholds that pass, fail and cannot be judged,
// every comparison verdict, findings, profiles, and an error message that
// carries a credential the writers must scrub. points sets the length of
// each time series (short for golden files, long for the screenshot).
func fixture(points int) *result.Scenario {
	s := &result.Scenario{
		SchemaVersion: result.SchemaVersion,
		Name:          "worker-scalability",
		Description:   "Throughput doubles per doubling of workers for I/O-bound work.\nSecond line is not in the summary.",
		File:          "scenarios/scalability.yaml",
		Hash:          "sha256:2f1c9a8e",
		Environment: map[string]string{
			"cpu":        "Test CPU @ 2.0GHz",
			"cores":      "2",
			"gomaxprocs": "2",
			"go":         "go1.26.8",
			"os":         "linux/amd64",
			"backend":    "embedded",
		},
		Started: fixtureStart,
		Verdict: result.VerdictRegression,
	}
	for ci, workers := range []int{2, 4} {
		c := result.Case{
			Name:   fmt.Sprintf("worker-scalability/workers=%d", workers),
			Params: map[string]string{"service.workers": fmt.Sprint(workers)},
		}
		for rep := 1; rep <= 2; rep++ {
			c.Runs = append(c.Runs, fixtureRun(ci, workers, rep, points))
		}
		s.Cases = append(s.Cases, c)
	}
	s.Thresholds = []result.ThresholdResult{
		{Expr: "lost == 0", Observed: 0, Display: "0", Pass: true, Source: "scenarios/scalability.yaml:31"},
		{Expr: "p99(stage.process) < 50ms", Case: "worker-scalability/workers=2", Observed: 0.0612, Display: "61.2ms", Pass: false, Source: "scenarios/scalability.yaml:32"},
		{Expr: "p99(stage.process) < 50ms", Case: "worker-scalability/workers=4", Observed: 0.0418, Display: "41.8ms", Pass: true, Source: "scenarios/scalability.yaml:32"},
		{Expr: "scaling(throughput) >= 0.9", Observed: 0.93, Display: "0.93", Pass: true, Source: "scenarios/scalability.yaml:33"},
		{Expr: "recovery < 5s", Error: "metric recovery was not measured: this scenario injects no fault", Source: "scenarios/scalability.yaml:34"},
	}
	s.Baseline = &result.BaselineReport{
		File:        "baselines/worker-scalability.json",
		Found:       true,
		SameMachine: true,
		Warnings:    []string{"throughput: 2 samples per side; need 4 for p<0.05"},
		Comparisons: []result.Comparison{
			{Case: "worker-scalability/workers=2", Metric: "cpu.per_message", Baseline: 0.000120, Current: 0.000141, Change: 0.175, P: 0.004, Tolerance: 0.10, Verdict: "regression",
				BaselineSamples: []float64{0.000118, 0.000120, 0.000121, 0.000119, 0.000122, 0.000120}, CurrentSamples: []float64{0.000139, 0.000141, 0.000143, 0.000140, 0.000142, 0.000141}},
			{Case: "worker-scalability/workers=2", Metric: "alloc.per_message", Baseline: 41, Current: 41, Change: 0, P: 1, Tolerance: 0.05, Verdict: "unchanged",
				BaselineSamples: []float64{41, 41, 41, 41, 41, 41}, CurrentSamples: []float64{41, 41, 41, 41, 41, 41}},
			{Case: "worker-scalability/workers=4", Metric: "alloc.bytes_per_message", Baseline: 4096, Current: 3500, Change: -0.1455, P: 0.008, Tolerance: 0.05, Verdict: "improvement",
				BaselineSamples: []float64{4090, 4096, 4100, 4096, 4093, 4099}, CurrentSamples: []float64{3490, 3500, 3510, 3502, 3498, 3500}},
			{Case: "worker-scalability/workers=4", Metric: "throughput", Baseline: 410, Current: 395, Change: -0.0366, P: 0.33, Tolerance: 0.20, Verdict: "warning", Note: "need 4 samples per side for p<0.05, have 2",
				BaselineSamples: []float64{400, 420}, CurrentSamples: []float64{390, 400}},
			{Case: "worker-scalability/workers=4", Metric: "stage.process.p99", Baseline: 0.030, Current: 0.0418, Change: 0.393, P: 0.01, Tolerance: 0.25, Verdict: "info"},
		},
	}
	return s
}

func fixtureRun(ci, workers, rep, points int) result.Run {
	seed := float64(ci*10 + rep)
	dur := 30.0 + seed
	r := result.Run{
		Repeat:   rep,
		Started:  fixtureStart.Add(time.Duration(ci*2+rep) * time.Minute),
		Backend:  "embedded",
		Duration: dur,
		Metrics: map[string]float64{
			"throughput":              200 * float64(workers) * (1 - 0.01*seed),
			"duration":                dur,
			"cpu.per_message":         0.000120 + 0.000001*seed,
			"alloc.per_message":       41,
			"alloc.bytes_per_message": 4096 - 100*seed,
			"lost":                    0,
			"duplicates":              float64(rep - 1),
			"heap.live.slope":         1024 * seed,
			"goroutines.slope":        0.1 * seed,
			"backend.start":           0.0021,
			"sched.latency.over_10ms": 0.002 * seed,
			"queue.depth.max":         120,
			"processed":               500, // the service's events counted every task
		},
		Accounting: result.Accounting{
			JobsSent: 50, Sent: 500, Processed: 500, Retried: 12, Overflowed: 40 / workers, DeadLettered: 0,
			Invalid: 0, Failures: 12, Crashes: 1, Duplicates: rep - 1, Lost: 0,
		},
		Diagnosis: []result.Finding{{
			Category: "backpressure",
			Summary:  "dispatch wait dominates: tasks wait for a free worker",
			Evidence: []string{"p95(stage.dispatch_wait) = 48ms > 5 x p95(stage.process)"},
			Advice:   []string{"raise service.workers", "shorten service.queue_size so overflow starts earlier"},
		}},
		Profiles:     []result.Profile{{Kind: "cpu", Path: fmt.Sprintf("cpu-case%d-%d.pprof", ci, rep)}},
		TopFunctions: []result.FunctionCost{{Function: "github.com/sqsperf/sqsperf/service.(*Pool).run", Flat: 0.12, Cum: 0.64}, {Function: "runtime.mallocgc", Flat: 0.08, Cum: 0.11}},
		Errors:       []string{"endpoint said InvalidClientTokenId for AKIAIOSFODNN7EXAMPLE; aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	}
	if ci == 0 && rep == 1 {
		r.Diagnosis = append(r.Diagnosis, result.Finding{Category: "leak", Summary: "post-GC heap climbs across batches", Evidence: []string{"heap.live.slope = 11KiB per batch > 4KiB"}})
	}
	for _, st := range []string{"stage.queue_wait", "stage.dispatch_wait", "stage.process", "stage.ack"} {
		base := map[string]float64{"stage.queue_wait": 0.004, "stage.dispatch_wait": 0.012, "stage.process": 0.020, "stage.ack": 0.002}[st] * (1 + 0.05*seed) * 4 / float64(workers+2)
		for i, stat := range []string{"p50", "p90", "p95", "p99", "max", "mean"} {
			r.Metrics[st+"."+stat] = base * (1 + 0.6*float64(i))
		}
	}
	for i, stat := range []string{"p50", "p90", "p95", "p99", "max", "mean"} {
		r.Metrics["tick.lag."+stat] = 0.0004 * (1 + float64(i)) * seed
	}

	step := dur / float64(points)
	ts := make([]float64, points)
	for i := range ts {
		ts[i] = math.Round(float64(i)*step*1000) / 1000
	}
	wave := func(f func(t float64, i int) float64) []float64 {
		out := make([]float64, points)
		for i, t := range ts {
			out[i] = math.Round(f(t, i)*1e9) / 1e9
		}
		return out
	}
	r.Series = []result.Series{
		{Name: "tick.lag", Unit: "duration", T: ts, Value: wave(func(t float64, i int) float64 {
			return 0.0008 + 0.0006*math.Sin(t) + 0.03*math.Max(0, math.Sin(t/3)-0.8)
		})},
		{Name: "sched.latency.p99", Unit: "duration", T: ts, Value: wave(func(t float64, i int) float64 { return 0.0015 + 0.001*math.Cos(t/2) })},
		{Name: "heap.live", Unit: "bytes", T: ts, Value: wave(func(t float64, i int) float64 {
			return 8<<20 + 3<<20*math.Abs(math.Sin(t/2)) + 40000*t
		})},
		{Name: "heap.inuse", Unit: "bytes", T: ts, Value: wave(func(t float64, i int) float64 {
			return 12<<20 + 4<<20*math.Abs(math.Sin(t/2)) + 40000*t
		})},
		{Name: "goroutines", Unit: "count", T: ts, Value: wave(func(t float64, i int) float64 { return float64(20 + workers + i%3) })},
		{Name: "queue.export-jobs.visible", Unit: "count", T: ts, Value: wave(func(t float64, i int) float64 { return math.Max(0, 50-2*t) })},
		{Name: "queue.download-tasks.visible", Unit: "count", T: ts, Value: wave(func(t float64, i int) float64 { return math.Max(0, 40*math.Sin(t/6)) })},
		{Name: "queue.download-tasks.inflight", Unit: "count", T: ts, Value: wave(func(t float64, i int) float64 { return float64(workers) + math.Max(0, 10*math.Sin(t/6)) })},
		{Name: "throughput", Unit: "rate", T: ts, Value: wave(func(t float64, i int) float64 { return 200*float64(workers)*(1-math.Exp(-t/3)) + 10*math.Sin(t) })},
	}
	for b := 1; b <= 5; b++ {
		r.Batches = append(r.Batches, result.BatchPoint{
			Batch: b, T: float64(b) * dur / 6,
			HeapLive:   8<<20 + float64(b)*1024*seed,
			Goroutines: float64(20 + workers + b%2),
		})
	}
	return r
}
