// Package scenario reads the YAML files that describe a performance
// scenario: the service's settings, the SQS backend, the load, injected
// faults, profiles, the thresholds that decide pass or fail, and an
// optional matrix of settings to sweep.
//
// Decoding is strict: an unknown key, a value of the wrong type or unit,
// an out-of-range number or a misspelled metric is an error that names the
// file, line, column and field and says what is allowed. Every problem in
// a file is reported at once (ErrorList). Units are written as people
// write them: durations 10ms, 2s, 1.5m; sizes 64KiB, 10MB, 512B; rates
// 50/s, 3000/min; shares 20% or 0.2.
//
// One table (fields.go) drives decoding, defaults, range checks, matrix
// paths and the JSON Schema (scenarios/scenario.schema.json), so that the
// schema editors use cannot drift from what the decoder accepts.
package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
	"github.com/sqsperf/sqsperf/runner/threshold"
)

// Scenario is one scenario file after defaults were applied.
type Scenario struct {
	// Name identifies the scenario in reports and baselines. Default: the
	// file name without its extension. Letters, digits, '.', '_' and '-'.
	Name string
	// Description is free text for reports. Default: empty.
	Description string
	// File is the path the scenario was loaded from.
	File string
	// Source is the file's original text, for hashing and error excerpts.
	Source []byte

	Service Service
	SQS     SQS
	Load    LoadSpec
	// Repeats is how many times each case runs, each on a fresh backend
	// and service. Default 1.
	Repeats int
	// Timeout bounds one run, including warm-up, load and drain. Default 2m.
	Timeout time.Duration
	// Thresholds decide pass or fail; see package threshold.
	Thresholds []Threshold
	// Matrix sweeps settings: each combination of the axes' values is one
	// case. Axes are kept in the order written. Optional.
	Matrix   []MatrixAxis
	Faults   Faults
	Profile  Profile
	Baseline BaselineOptions

	// positions maps a field path ("service.workers", "thresholds[1]") to
	// where its value was written, so that Validate can point at it.
	positions map[string]position
	// isCase marks a matrix case: its scaling thresholds are judged on
	// the scenario it was expanded from.
	isCase bool
}

type position struct{ line, column int }

// Service configures the service under test.
type Service struct {
	// Handler names the task handler. Default "download" (the built-in
	// simulated download).
	Handler string
	// Workers is the worker pool size (WORKER_POOL_SIZE). Default 4, 1..1024.
	Workers int
	// MaxConcurrentJobs bounds the export jobs in progress at once
	// (MAX_CONCURRENT_JOBS). Default 10, 1..10000.
	MaxConcurrentJobs int
	// MaxQueueSize is the pool's internal queue (MAX_QUEUE_SIZE); tasks
	// that do not fit overflow to the download-tasks queue. Default 100,
	// 1..1000000.
	MaxQueueSize int
	// FailureRate is the share of task attempts that fail on purpose
	// (FAILURE_RATE), seeded by Seed. Default 0.
	FailureRate float64
	// CrashRate is the share of task attempts whose handler panics.
	// Default 0. FailureRate+CrashRate is at most 1.
	CrashRate float64
	// Pollers is the number of long-polling receivers per queue. Default 2, 1..64.
	Pollers int
	// Seed makes injected failures and task costs reproducible. Default 1.
	Seed int64
	// ShutdownTimeout is the graceful shutdown deadline. Default 10s.
	ShutdownTimeout time.Duration
	// Task is the cost of one task for the built-in handler.
	Task TaskCost
	// Command runs an external program as the service instead of the
	// built-in one (zero: the built-in service). Omitted from the hash
	// when zero, so that adding it changed no existing scenario's hash.
	Command Command `json:",omitzero"`
}

// TaskCost is what the built-in handler spends per task.
type TaskCost struct {
	// CPU is busy CPU time per task. Default 0.
	CPU time.Duration
	// IOWait is time spent waiting, as on a download. Default constant 10ms.
	IOWait Dist
	// Alloc is heap allocated per task, in bytes. Default 0.
	Alloc int64
	// Payload is the simulated downloaded size per task, in bytes. Default 1KiB.
	Payload int64
}

// Dist kinds.
const (
	DistConstant  = "constant"
	DistUniform   = "uniform"
	DistLognormal = "lognormal"
)

// Dist is a distribution of durations. In YAML it is written as a plain
// duration (constant), or as a one-key mapping:
//
//	io_wait: 10ms                                  # constant
//	io_wait: {constant: 10ms}                      # the same
//	io_wait: {uniform: {min: 5ms, max: 15ms}}      # uniform between min and max
//	io_wait: {lognormal: {median: 20ms, p99: 80ms}} # log-normal with that median and 99th percentile
type Dist struct {
	Kind   string        `json:"kind"`
	Value  time.Duration `json:"value,omitempty"`  // constant
	Min    time.Duration `json:"min,omitempty"`    // uniform
	Max    time.Duration `json:"max,omitempty"`    // uniform
	Median time.Duration `json:"median,omitempty"` // lognormal
	P99    time.Duration `json:"p99,omitempty"`    // lognormal
}

// Sigma returns the log-normal shape parameter implied by Median and P99:
// P99 = Median * exp(2.3263 * sigma). 0 for other kinds.
func (d Dist) Sigma() float64 {
	if d.Kind != DistLognormal || d.Median <= 0 || d.P99 <= d.Median {
		return 0
	}
	const z99 = 2.3263478740408408
	return math.Log(float64(d.P99)/float64(d.Median)) / z99
}

// Mean returns the distribution's mean.
func (d Dist) Mean() time.Duration {
	switch d.Kind {
	case DistUniform:
		return (d.Min + d.Max) / 2
	case DistLognormal:
		s := d.Sigma()
		return time.Duration(float64(d.Median) * math.Exp(s*s/2))
	}
	return d.Value
}

// Backends: the kinds, their documentation and the list the field's
// enum is made of are backendkind's.
const (
	BackendEmbedded   = backendkind.Embedded
	BackendLocalStack = backendkind.LocalStack
	BackendEndpoint   = backendkind.Endpoint
)

// SQS configures the queues and where they live.
type SQS struct {
	// Backend is embedded (the in-process server, default), localstack
	// (a container through testcontainers-go) or endpoint (any SQS
	// endpoint: Endpoint, or the SDK's default chain when empty).
	Backend string
	// Endpoint is the URL for backend endpoint. Default empty.
	Endpoint string
	// Region is the AWS region. Default us-east-1.
	Region string
	// VisibilityTimeout of the work queues, whole seconds. Default 5s, at most 12h.
	VisibilityTimeout time.Duration
	// MaxReceiveCount is the redrive policy's receive limit before a
	// message moves to the dead-letter queue. Default 3, 1..1000.
	MaxReceiveCount int
	// WaitTime is the long-poll wait, whole seconds. Default 1s, at most 20s.
	WaitTime time.Duration
	Queues   QueueNames
}

// QueueNames are the queue names (prefixed per run by shared endpoints).
type QueueNames struct {
	Jobs       string // default export-jobs
	Tasks      string // default download-tasks
	DeadLetter string // default export-dlq
}

// LoadSpec is what the runner sends. (It is not called Load because
// Load is the function that reads a file.)
type LoadSpec struct {
	// Jobs is the number of export jobs sent in total, across all batches.
	// Default 100.
	Jobs int
	// TasksPerJob is the number of download tasks in each job. Default 4, 1..1000.
	TasksPerJob int
	// Batches splits Jobs into this many batches (see BatchSizes). Before
	// sending the next batch the runner waits for the previous one to
	// drain and samples a quiet point (GC, live heap, goroutines).
	// Default 1.
	Batches int
	// BatchInterval is the pause between the end of one batch's sending
	// and the next batch (which also waits for the drain). Default 0.
	BatchInterval time.Duration
	// Rate is the arrival rate of jobs per second within a batch; 0 sends
	// as fast as the senders can. Default 0.
	Rate float64
	// Senders is the number of concurrent senders. Default 4, 1..256.
	Senders int
	// Payload pads each job message to about this many bytes. Default 0,
	// at most 200KiB so that a message stays under SQS's 256KiB limit.
	Payload int64
	// Warmup jobs are sent and drained before measuring starts. Default 0.
	Warmup int
}

// BatchSizes returns how many jobs each batch sends: Jobs split as evenly
// as possible, the first batches taking the remainder.
func (l LoadSpec) BatchSizes() []int {
	if l.Batches <= 0 {
		return nil
	}
	out := make([]int, l.Batches)
	for i := range out {
		out[i] = l.Jobs / l.Batches
		if i < l.Jobs%l.Batches {
			out[i]++
		}
	}
	return out
}

// Threshold is one threshold expression as written.
type Threshold struct {
	Expr         string
	Line, Column int
	// Parsed is the checked expression (never nil in a loaded Scenario).
	Parsed *threshold.Expr
}

// MatrixAxis is one axis of the matrix: a field path and its values.
type MatrixAxis struct {
	// Path is the field path, such as service.workers.
	Path string
	// Values are the values as written (scalar text: "4", "10ms").
	Values []string
	Line   int
	Column int
	// valuePos is where each value was written and tags its YAML tag,
	// so that a value is applied to a case exactly as it was decoded.
	valuePos []position
	tags     []string
}

// Faults configures fault injection.
type Faults struct {
	SQS   SQSFaults
	Crash CrashFault
}

// SQSFaults are injected between the service and SQS. Each rate is the
// share of SQS calls affected; their sum is at most 1.
type SQSFaults struct {
	// ErrorRate answers with a 500 InternalError. Default 0.
	ErrorRate float64
	// ThrottleRate answers with a throttling error. Default 0.
	ThrottleRate float64
	// LatencyRate delays the call by Latency. Default 0.
	LatencyRate float64
	// DropRate drops the connection. Default 0.
	DropRate float64
	// TimeoutRate lets the call time out. Default 0.
	TimeoutRate float64
	// Latency is the delay added by LatencyRate. Default 100ms.
	Latency time.Duration
	// Seed makes the injected faults reproducible. Default 1.
	Seed int64
}

// CrashFault kills the service once mid-run.
type CrashFault struct {
	// After is the share of tasks processed at which the service is
	// killed without graceful shutdown; 0 never kills it. Default 0.
	After float64
	// Restart starts the service again after the kill. Default true.
	Restart bool
}

// Profile asks for profiles written next to the report.
type Profile struct {
	CPU  bool // CPU profile of the measured phase. Default false.
	Heap bool // heap profile at the end. Default false.
	// Trace is the length of an execution trace window; 0 takes none. Default 0.
	Trace time.Duration
}

// BaselineOptions tune the comparison with the stored baseline.
type BaselineOptions struct {
	// Metrics are the flat metric keys gated against the baseline.
	// Default (empty): the metrics registered with Gate set.
	Metrics []string
	// Tolerance overrides a metric's minimum relative change that
	// matters (metric.Def.Tolerance), by key: {throughput: 25%}.
	Tolerance map[string]float64
	// MinSamples is the number of samples per side needed for a verdict;
	// 0 uses the verdict's default.
	MinSamples int
}

// Case is one point of a scenario's matrix.
type Case struct {
	// Name is "scenario" without a matrix, "scenario/workers=4,jobs=10" with one.
	Name string
	// Params are the matrix values of this case by field path.
	Params map[string]string
	// Scenario is a deep copy with the values applied and no matrix.
	Scenario *Scenario
}

// Clone returns a deep copy.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Thresholds = append([]Threshold(nil), s.Thresholds...)
	c.Matrix = make([]MatrixAxis, len(s.Matrix))
	for i, ax := range s.Matrix {
		ax.Values = append([]string(nil), ax.Values...)
		ax.valuePos = append([]position(nil), ax.valuePos...)
		ax.tags = append([]string(nil), ax.tags...)
		c.Matrix[i] = ax
	}
	if s.Matrix == nil {
		c.Matrix = nil
	}
	c.Baseline.Metrics = append([]string(nil), s.Baseline.Metrics...)
	if s.Baseline.Tolerance != nil {
		c.Baseline.Tolerance = make(map[string]float64, len(s.Baseline.Tolerance))
		for k, v := range s.Baseline.Tolerance {
			c.Baseline.Tolerance[k] = v
		}
	}
	if s.positions != nil {
		c.positions = make(map[string]position, len(s.positions))
		for k, v := range s.positions {
			c.positions[k] = v
		}
	}
	return &c
}

// MatrixPaths returns the matrix's field paths in the order written.
func (s *Scenario) MatrixPaths() []string {
	out := make([]string, len(s.Matrix))
	for i, ax := range s.Matrix {
		out[i] = ax.Path
	}
	return out
}

// Scale returns a copy sized by factor, the knob that lets the same file
// serve a quick pull-request check and a long nightly run: Load.Jobs and
// Load.Warmup (and matrix values of those paths) are multiplied by factor
// and rounded, Jobs to at least 1 and at least one per batch, Warmup to
// at least 1 if it was set. With factor > 1 Timeout grows by the same
// factor so that the larger run can drain. A factor that is not a
// positive finite number is treated as 1.
func (s *Scenario) Scale(factor float64) *Scenario {
	c := s.Clone()
	if !(factor > 0) || math.IsInf(factor, 0) || factor == 1 {
		return c
	}
	scaleJobs := func(n, batches int) int {
		return max(1, batches, int(math.Round(float64(n)*factor)))
	}
	scaleWarmup := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(math.Round(float64(n)*factor)))
	}
	c.Load.Jobs = scaleJobs(c.Load.Jobs, c.Load.Batches)
	c.Load.Warmup = scaleWarmup(c.Load.Warmup)
	for i := range c.Matrix {
		ax := &c.Matrix[i]
		for j, v := range ax.Values {
			n, err := strconv.Atoi(v)
			if err != nil {
				continue // Validate reports non-integers; Scale never fails.
			}
			switch ax.Path {
			case "load.jobs":
				ax.Values[j] = strconv.Itoa(scaleJobs(n, 1))
			case "load.warmup":
				ax.Values[j] = strconv.Itoa(scaleWarmup(n))
			}
		}
	}
	if factor > 1 {
		t := float64(c.Timeout) * factor
		if t < float64(math.MaxInt64) {
			c.Timeout = time.Duration(t)
		}
	}
	return c
}

// Hash is a stable hash of the settings that determine what is measured:
// service, SQS, load, faults, profiles and the matrix, after defaults. A
// baseline records it so that a comparison can tell when the scenario
// changed under it. Name, description, repeats, timeout, thresholds and
// baseline options are left out on purpose: editing a bound or adding
// repeats does not make earlier samples incomparable.
func (s *Scenario) Hash() string {
	type axis struct {
		Path   string   `json:"path"`
		Values []string `json:"values"`
	}
	view := struct {
		Service Service  `json:"service"`
		SQS     SQS      `json:"sqs"`
		Load    LoadSpec `json:"load"`
		Faults  Faults   `json:"faults"`
		Profile Profile  `json:"profile"`
		Matrix  []axis   `json:"matrix,omitempty"`
	}{s.Service, s.SQS, s.Load, s.Faults, s.Profile, nil}
	for _, ax := range s.Matrix {
		view.Matrix = append(view.Matrix, axis{ax.Path, ax.Values})
	}
	b, err := json.Marshal(view)
	if err != nil {
		// Only a non-finite float set by code (never by a file) gets here.
		b = fmt.Appendf(nil, "%#v", view)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
