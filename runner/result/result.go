// Package result is the data model every stage of the runner hands on: one
// Run per repeat of a scenario case, and a Scenario result that holds the
// runs, the threshold outcomes, the baseline comparison and the diagnosis.
// It has no behaviour beyond small helpers so that the producers (runner,
// probe) and consumers (verdict, report) do not depend on each other.
package result

import "time"

// SchemaVersion is the version of the JSON form of Scenario (result.json).
// Bump it on any incompatible change.
const SchemaVersion = 1

// Run is one repeat of one scenario case.
type Run struct {
	Repeat  int       `json:"repeat"`
	Started time.Time `json:"started"`
	Backend string    `json:"backend"`
	// BackendInstance names the backend instance that served this run
	// ("embedded#3", "endpoint#1"): runs sharing one name shared one
	// backend (see Scenario.Backends).
	BackendInstance string  `json:"backend_instance,omitempty"`
	Duration        float64 `json:"duration_seconds"`
	// Metrics holds every scalar measured, by flat key (metric.Key): a
	// distribution contributes one entry per statistic, such as
	// "stage.process.p99". Values are in base units (seconds, bytes, /s).
	Metrics map[string]float64 `json:"metrics"`
	// Accounting is the per-id tally behind the count metrics.
	Accounting Accounting `json:"accounting"`
	// Server is the SQS server's view of the same run, by message id
	// (embedded backend only).
	Server *ServerAccounting `json:"server,omitempty"`
	// Series are time series for charts (probe samples, queue depths,
	// throughput). They are not judged; Metrics are.
	Series []Series `json:"series,omitempty"`
	// Batches are the quiet points after each load batch (memory over time).
	Batches []BatchPoint `json:"batches,omitempty"`
	// Diagnosis is the doctor-style verdict for this run.
	Diagnosis []Finding `json:"diagnosis,omitempty"`
	// Profiles lists profile files written for this run, relative to the
	// report directory.
	Profiles []Profile `json:"profiles,omitempty"`
	// TopFunctions are the hottest functions of the CPU profile, if one was taken.
	TopFunctions []FunctionCost `json:"top_functions,omitempty"`
	// Errors are failures of the run itself (a timeout before every
	// message was accounted for, a load that could not be sent); each
	// fails the scenario.
	Errors []string `json:"errors,omitempty"`
	// Warnings are problems a reader should see that do not invalidate
	// the measurements (a probe that could not read a queue, a profile
	// that failed).
	Warnings []string `json:"warnings,omitempty"`
}

// Accounting tallies every task by id.
type Accounting struct {
	JobsSent     int `json:"jobs_sent"`
	Sent         int `json:"sent"`
	Processed    int `json:"processed"`
	Retried      int `json:"retried"`
	Overflowed   int `json:"overflowed"`
	DeadLettered int `json:"dead_lettered"`
	Invalid      int `json:"invalid"`
	Failures     int `json:"failures"`
	Crashes      int `json:"crashes"`
	Duplicates   int `json:"duplicates"`
	Lost         int `json:"lost"`
	// Foreign counts observations of tasks this run never sent (warm-up
	// stragglers, another producer on the same queues). They are outside
	// the accounting above; a non-zero value says the queues were shared.
	Foreign int `json:"foreign,omitempty"`
	// LostIDs names up to the first 20 lost task ids, for debugging.
	LostIDs []string `json:"lost_ids,omitempty"`
}

// Series is one named time series. T is seconds since the run started.
type Series struct {
	Name  string    `json:"name"` // e.g. "tick.lag", "heap.live", "queue.export-jobs.visible"
	Unit  string    `json:"unit"` // metric.Unit name: duration, bytes, count, rate, ratio
	T     []float64 `json:"t"`
	Value []float64 `json:"v"`
}

// BatchPoint is a sample at the quiet point after a load batch: after the
// batch drained and a GC ran.
type BatchPoint struct {
	Batch      int     `json:"batch"`
	T          float64 `json:"t"`
	HeapLive   float64 `json:"heap_live_bytes"`
	Goroutines float64 `json:"goroutines"`
}

// Finding is one diagnosis category with its evidence.
type Finding struct {
	Category string   `json:"category"` // scheduler, gc, io, backpressure, leak, none
	Summary  string   `json:"summary"`
	Evidence []string `json:"evidence,omitempty"` // "sched.latency.over_10ms = 12% > 5%"
	Advice   []string `json:"advice,omitempty"`
}

// Profile is a profile file written next to the report.
type Profile struct {
	Kind string `json:"kind"` // cpu, heap, trace, allocs
	Path string `json:"path"`
}

// FunctionCost is one row of a CPU profile's top list.
type FunctionCost struct {
	Function string  `json:"function"`
	Flat     float64 `json:"flat_share"` // share of samples in the function itself
	Cum      float64 `json:"cum_share"`  // share including callees
}

// Case is one expansion of a scenario's matrix with all its repeats.
type Case struct {
	Name   string            `json:"name"`             // "stress" or "scalability/workers=4"
	Params map[string]string `json:"params,omitempty"` // matrix values for this case
	Runs   []Run             `json:"runs"`
}

// Samples returns every run's value of a flat metric key, skipping runs
// where it was not measured.
func (c *Case) Samples(key string) []float64 {
	out := make([]float64, 0, len(c.Runs))
	for _, r := range c.Runs {
		if v, ok := r.Metrics[key]; ok {
			out = append(out, v)
		}
	}
	return out
}

// ThresholdResult is one threshold judged against what was observed.
type ThresholdResult struct {
	Expr     string  `json:"expr"`           // as written in the scenario
	Case     string  `json:"case,omitempty"` // the case it was judged on ("" for matrix-wide)
	Observed float64 `json:"observed"`       // in base units
	Display  string  `json:"display"`        // observed, formatted with its unit
	Pass     bool    `json:"pass"`
	Error    string  `json:"error,omitempty"` // why it could not be judged, if so
	// Info marks a threshold reported but not judged: a time-based metric
	// measured where time is not representative (under the race detector).
	Info   bool   `json:"info,omitempty"`
	Source string `json:"source,omitempty"` // file:line of the threshold
}

// Failed reports whether t fails its scenario: the one rule that Judge,
// the CLI and every report follow. An error is an error: a threshold that
// could not be evaluated fails even when it is reported only (Info),
// because unrepresentative timing excuses a value outside its bound, not
// a value nobody measured (a misspelled or unmeasured metric would
// otherwise pass silently in every -race build).
func (t ThresholdResult) Failed() bool { return t.Error != "" || (!t.Pass && !t.Info) }

// ReportedOnly reports whether t is outside its bound but, being Info,
// does not fail the scenario.
func (t ThresholdResult) ReportedOnly() bool { return t.Error == "" && !t.Pass && t.Info }

// Comparison is one metric compared with the baseline.
type Comparison struct {
	Case     string  `json:"case"`
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline_median"`
	Current  float64 `json:"current_median"`
	Change   float64 `json:"change"`  // relative: +0.15 is 15% higher
	P        float64 `json:"p_value"` // after correction for multiple comparisons
	// PUncorrected is the test's own p-value, before the correction (0
	// when no test ran).
	PUncorrected float64 `json:"p_uncorrected,omitempty"`
	Tolerance    float64 `json:"tolerance"`
	// Verdict is one of: Regression, Improvement, Unchanged, Info, Warning.
	Verdict Outcome `json:"verdict"`
	Note    string  `json:"note,omitempty"` // e.g. "need 4 samples per side for p<0.05, have 3"
	// BaselineSamples and CurrentSamples are the per-repeat values the
	// medians and the test were computed from, so a reader can see the
	// two distributions side by side instead of trusting one number.
	BaselineSamples []float64 `json:"baseline_samples,omitempty"`
	CurrentSamples  []float64 `json:"current_samples,omitempty"`
}

// Scenario is everything measured and judged for one scenario file.
type Scenario struct {
	SchemaVersion int               `json:"schema_version"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	File          string            `json:"file"`
	Hash          string            `json:"scenario_hash"`
	Environment   map[string]string `json:"environment"` // the machine fingerprint
	Started       time.Time         `json:"started"`
	Cases         []Case            `json:"cases"`
	// Backends are the shared backends the runs used, each with its
	// start time, recorded once (a fresh embedded one per run is not).
	Backends   []BackendInstance `json:"backends,omitempty"`
	Thresholds []ThresholdResult `json:"thresholds"`
	Baseline   *BaselineReport   `json:"baseline,omitempty"`
	// Verdict is VerdictPass, VerdictFail (threshold), VerdictRegression
	// or VerdictError.
	Verdict Outcome `json:"verdict"`
	Error   string  `json:"error,omitempty"`

	// Size is the scale factor (-size) the scenario ran at; 0 (omitted)
	// means as written. Baselines record it, and a run is only compared
	// with a baseline of the same size.
	Size float64 `json:"size,omitempty"`
}

// BaselineReport is the outcome of comparing with the stored baseline.
type BaselineReport struct {
	File        string       `json:"file"`
	Found       bool         `json:"found"`
	SameMachine bool         `json:"same_machine"`
	Warnings    []string     `json:"warnings,omitempty"`
	Comparisons []Comparison `json:"comparisons,omitempty"`
	// AllocDiffs compare the two sides' allocation profiles case by
	// case; only the interleaved A/B has both sides' profiles at hand.
	AllocDiffs []AllocDiff `json:"alloc_diffs,omitempty"`
}

// AllocDiff compares the allocation profiles (Profile kind "allocs", the
// measured window's allocations) of an A/B's two sides in one case.
type AllocDiff struct {
	Case string `json:"case,omitempty"`
	// Base and Current are each side's allocation profile, merged over
	// its rounds; Base is "" when the base side wrote none.
	Base    string `json:"base,omitempty"`
	Current string `json:"current,omitempty"`
	// Grew are the functions whose allocated bytes per message grew the
	// most, largest growth first.
	Grew []AllocGrowth `json:"grew,omitempty"`
	// Note says why there is no comparison, or what limits it.
	Note string `json:"note,omitempty"`
}

// AllocGrowth is one function's allocated bytes per message processed at
// each side of an AllocDiff. An allocation belongs to the innermost frame
// of its stack outside package runtime, the function whose code asked.
type AllocGrowth struct {
	Function string  `json:"function"`
	Base     float64 `json:"base_bytes_per_message"`
	Current  float64 `json:"current_bytes_per_message"`
}

// Outcome is how a comparison with the baseline (Comparison.Verdict) or a
// whole scenario (Scenario.Verdict) came out. Its string is the value
// written in result.json, the baseline files and the reports, so the
// constants' values must never change.
type Outcome string

// Outcomes of a Comparison with the baseline.
const (
	Regression  Outcome = "regression"  // worse beyond the tolerance, significantly
	Improvement Outcome = "improvement" // better beyond the tolerance, significantly
	Unchanged   Outcome = "unchanged"   // within the tolerance, or not significant
	Info        Outcome = "info"        // reported, not judged (no direction, another machine)
	Warning     Outcome = "warning"     // could not be judged (too few samples, no baseline value)
)

// Verdicts of a Scenario.
const (
	VerdictPass       Outcome = "pass"
	VerdictFail       Outcome = "fail" // a threshold failed
	VerdictRegression         = Regression
	VerdictError      Outcome = "error"
	// VerdictInterrupted: the run was stopped by a signal; what was
	// measured before is kept but not judged.
	VerdictInterrupted Outcome = "interrupted"
)

// BackendInstance is a backend shared by several repeats: it started once,
// and its start time is recorded here; the repeats it served record 0.
type BackendInstance struct {
	ID    string  `json:"id"` // as in Run.BackendInstance
	Kind  string  `json:"kind"`
	Start float64 `json:"start_seconds"`
}

// WithoutSeries returns a copy of s whose runs keep no time series and no
// batch points: what a suite needs to write its own summary once every
// scenario has run. A suite that kept each whole result until then kept
// megabytes of samples in the process where the next scenarios' services
// run, and their heap.live measured them: stress, the last of nine in
// `go test ./runner -run Scenario`, read heap.live.max +38% and +40%
// against its stored baseline in two A/A trials. s is not modified.
func (s *Scenario) WithoutSeries() *Scenario {
	c := *s
	c.Cases = make([]Case, len(s.Cases))
	for i, cs := range s.Cases {
		runs := make([]Run, len(cs.Runs))
		for j, r := range cs.Runs {
			r.Series, r.Batches = nil, nil
			runs[j] = r
		}
		cs.Runs = runs
		c.Cases[i] = cs
	}
	return &c
}
