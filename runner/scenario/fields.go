package scenario

import (
	"regexp"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
	"github.com/sqsperf/sqsperf/runner/units"
)

// kind is how a field's value is written and decoded.
type kind int

const (
	kObject     kind = iota // a mapping of further fields
	kString                 // text, optionally an enum or a pattern
	kInt                    // a whole number (int or int64 target)
	kBool                   // true or false
	kDuration               // 10ms, 2s, 1.5m (time.Duration target)
	kSize                   // 64KiB, 10MB, 512B (int64 bytes)
	kRate                   // 50/s, 3000/min (float64 per second)
	kRatio                  // 20% or 0.2 (float64 fraction)
	kDist                   // a duration or {uniform|lognormal|constant: ...}
	kThresholds             // a list of threshold expressions
	kMatrix                 // field path -> list of values
	kMetricList             // a list of metric keys
	kRatioMap               // metric key -> share
)

// field describes one key of a scenario file. The same table drives the
// decoder, the defaults, the range checks, the matrix paths and the JSON
// Schema.
type field struct {
	key  string
	doc  string
	def  string // default as written in YAML; "" means the zero value
	kind kind
	// lo and hi bound numeric values, in the Go value's unit
	// (nanoseconds for durations, bytes, per second, fraction).
	lo, hi       float64
	bounded      bool
	enum         []string
	pattern      *regexp.Regexp
	patternHelp  string // what the pattern allows, for messages and the schema
	wholeSeconds bool   // durations SQS takes in whole seconds
	children     []*field
	ref          func(*Scenario) any // pointer to the value (leaves only)
	axis         bool                // may be swept by the matrix

	path string // filled in by init: "service.workers"
}

func between(lo, hi float64) func(*field) {
	return func(f *field) { f.lo, f.hi, f.bounded = lo, hi, true }
}

func withEnum(values ...string) func(*field) { return func(f *field) { f.enum = values } }
func wholeSeconds(f *field)                  { f.wholeSeconds = true }
func notAxis(f *field)                       { f.axis = false }
func matching(re, help string) func(*field) {
	return func(f *field) { f.pattern, f.patternHelp = regexp.MustCompile(re), help }
}

func leaf(key string, k kind, def string, ref func(*Scenario) any, doc string, opts ...func(*field)) *field {
	f := &field{key: key, kind: k, def: def, ref: ref, doc: doc, axis: true}
	for _, o := range opts {
		o(f)
	}
	return f
}

func object(key, doc string, children ...*field) *field {
	return &field{key: key, kind: kObject, doc: doc, children: children}
}

const (
	second = float64(time.Second)
	minute = float64(time.Minute)
	hour   = float64(time.Hour)
	kib    = 1 << 10
	mib    = 1 << 20
	gib    = 1 << 30
)

const queueNamePattern = `^[A-Za-z0-9_-]{1,80}$`

var rootFields = []*field{
	leaf("name", kString, "", func(s *Scenario) any { return &s.Name },
		"Identifies the scenario in reports and baselines. Default: the file name without its extension.",
		matching(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"), notAxis),
	leaf("description", kString, "", func(s *Scenario) any { return &s.Description },
		"Free text shown in reports.", notAxis),
	leaf("repeats", kInt, "1", func(s *Scenario) any { return &s.Repeats },
		"How many times each case runs, each on a fresh backend and service; thresholds are judged on the median across repeats.",
		between(1, 100), notAxis),
	leaf("timeout", kDuration, "2m", func(s *Scenario) any { return &s.Timeout },
		"Bound on one run, including warm-up, load and drain; a run that does not drain in time fails.",
		between(1*second, 24*hour), notAxis),
	object("service", "The service under test.",
		leaf("handler", kString, "download", func(s *Scenario) any { return &s.Service.Handler },
			"Name of the task handler; download is the built-in simulated download.",
			matching(`^[a-z][a-z0-9_-]{0,63}$`, "a lowercase name such as download")),
		leaf("workers", kInt, "4", func(s *Scenario) any { return &s.Service.Workers },
			"Worker pool size (WORKER_POOL_SIZE).", between(1, 1024)),
		leaf("max_concurrent_jobs", kInt, "10", func(s *Scenario) any { return &s.Service.MaxConcurrentJobs },
			"Export jobs in progress at once (MAX_CONCURRENT_JOBS).", between(1, 10000)),
		leaf("max_queue_size", kInt, "100", func(s *Scenario) any { return &s.Service.MaxQueueSize },
			"The pool's internal queue (MAX_QUEUE_SIZE); tasks that do not fit overflow to the download-tasks queue.", between(1, 1_000_000)),
		leaf("failure_rate", kRatio, "0", func(s *Scenario) any { return &s.Service.FailureRate },
			"Share of task attempts that fail on purpose (FAILURE_RATE), such as 20%; retried through SQS, dead-lettered after max_receive_count.", between(0, 1)),
		leaf("crash_rate", kRatio, "0", func(s *Scenario) any { return &s.Service.CrashRate },
			"Share of task attempts whose handler panics (a worker crash). failure_rate + crash_rate is at most 100%.", between(0, 1)),
		leaf("pollers", kInt, "2", func(s *Scenario) any { return &s.Service.Pollers },
			"Long-polling receivers per queue.", between(1, 64)),
		leaf("seed", kInt, "1", func(s *Scenario) any { return &s.Service.Seed },
			"Seed of injected failures and task costs, for reproducible runs."),
		leaf("shutdown_timeout", kDuration, "10s", func(s *Scenario) any { return &s.Service.ShutdownTimeout },
			"Graceful shutdown deadline: in-flight work past it is released back to SQS.", between(1*float64(time.Millisecond), 10*minute)),
		object("task", "What the built-in handler spends per task.",
			leaf("cpu", kDuration, "0", func(s *Scenario) any { return &s.Service.Task.CPU },
				"Busy CPU time per task.", between(0, 10*second)),
			leaf("io_wait", kDist, "10ms", func(s *Scenario) any { return &s.Service.Task.IOWait },
				"Waiting time per task, as on a download: a duration (constant), {uniform: {min: 5ms, max: 15ms}} or {lognormal: {median: 20ms, p99: 80ms}}.",
				between(0, 1*minute)),
			leaf("alloc", kSize, "0", func(s *Scenario) any { return &s.Service.Task.Alloc },
				"Heap allocated per task, such as 64KiB.", between(0, 1*gib)),
			leaf("payload", kSize, "1KiB", func(s *Scenario) any { return &s.Service.Task.Payload },
				"Simulated downloaded size per task.", between(0, 1*gib)),
		),
		commandField(),
	),
	object("sqs", "The SQS backend and queues.",
		leaf("backend", kString, backendkind.Default, func(s *Scenario) any { return &s.SQS.Backend },
			backendkind.Doc(), withEnum(backendkind.Names()...)),
		leaf("endpoint", kString, "", func(s *Scenario) any { return &s.SQS.Endpoint },
			"URL of the SQS endpoint for backend endpoint, such as http://127.0.0.1:9324.",
			matching(`^https?://[^\s]+$`, "an http:// or https:// URL")),
		leaf("region", kString, "us-east-1", func(s *Scenario) any { return &s.SQS.Region },
			"AWS region.", matching(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`, "a region such as us-east-1")),
		leaf("visibility_timeout", kDuration, "5s", func(s *Scenario) any { return &s.SQS.VisibilityTimeout },
			"Visibility timeout of the work queues, in whole seconds: how long a failed task waits before its retry.",
			between(0, 12*hour), wholeSeconds),
		leaf("max_receive_count", kInt, "3", func(s *Scenario) any { return &s.SQS.MaxReceiveCount },
			"Receives before SQS moves a message to the dead-letter queue (redrive policy).", between(1, 1000)),
		leaf("wait_time", kDuration, "1s", func(s *Scenario) any { return &s.SQS.WaitTime },
			"Long-poll wait of each receive, in whole seconds.", between(0, 20*second), wholeSeconds),
		object("queues", "Queue names (an endpoint backend prefixes them per run).",
			leaf("jobs", kString, "export-jobs", func(s *Scenario) any { return &s.SQS.Queues.Jobs },
				"Queue of export jobs.", matching(queueNamePattern, "1 to 80 letters, digits, '-' or '_'")),
			leaf("tasks", kString, "download-tasks", func(s *Scenario) any { return &s.SQS.Queues.Tasks },
				"Queue of download tasks that overflowed the internal queue.", matching(queueNamePattern, "1 to 80 letters, digits, '-' or '_'")),
			leaf("dead_letter", kString, "export-dlq", func(s *Scenario) any { return &s.SQS.Queues.DeadLetter },
				"Dead-letter queue of both work queues.", matching(queueNamePattern, "1 to 80 letters, digits, '-' or '_'")),
		),
	),
	object("load", "What the runner sends.",
		leaf("jobs", kInt, "100", func(s *Scenario) any { return &s.Load.Jobs },
			"Export jobs sent in total, across all batches (the size factor scales it).", between(1, 10_000_000)),
		leaf("tasks_per_job", kInt, "4", func(s *Scenario) any { return &s.Load.TasksPerJob },
			"Download tasks in each job.", between(1, 1000)),
		leaf("batches", kInt, "1", func(s *Scenario) any { return &s.Load.Batches },
			"Batches the jobs are split into (jobs is the total); before the next batch the runner waits for the previous one to drain and samples a quiet point (GC, live heap, goroutines).",
			between(1, 10000)),
		leaf("batch_interval", kDuration, "0", func(s *Scenario) any { return &s.Load.BatchInterval },
			"Pause between the end of one batch's sending and the next batch; the next batch also waits until the previous one drained and its quiet point was sampled.", between(0, 1*hour)),
		leaf("rate", kRate, "0", func(s *Scenario) any { return &s.Load.Rate },
			"Arrival rate of jobs within a batch, such as 50/s; 0 sends as fast as the senders can.", between(0, 1e6)),
		leaf("senders", kInt, "4", func(s *Scenario) any { return &s.Load.Senders },
			"Concurrent senders.", between(1, 256)),
		leaf("payload", kSize, "0", func(s *Scenario) any { return &s.Load.Payload },
			"Pads each job message to about this size; at most 200KiB so a message stays under SQS's 256KiB limit.",
			between(0, 200*kib)),
		leaf("warmup", kInt, "0", func(s *Scenario) any { return &s.Load.Warmup },
			"Jobs sent and drained before measuring starts.", between(0, 1_000_000)),
	),
	object("faults", "Faults injected during the run.",
		object("sqs", "Faults between the service and SQS; each rate is a share of SQS calls, and their sum is at most 100%.",
			leaf("error_rate", kRatio, "0", func(s *Scenario) any { return &s.Faults.SQS.ErrorRate },
				"Calls answered with a 500 InternalError.", between(0, 1)),
			leaf("throttle_rate", kRatio, "0", func(s *Scenario) any { return &s.Faults.SQS.ThrottleRate },
				"Calls answered with a throttling error.", between(0, 1)),
			leaf("latency_rate", kRatio, "0", func(s *Scenario) any { return &s.Faults.SQS.LatencyRate },
				"Calls delayed by latency.", between(0, 1)),
			leaf("drop_rate", kRatio, "0", func(s *Scenario) any { return &s.Faults.SQS.DropRate },
				"Calls whose connection is dropped.", between(0, 1)),
			leaf("timeout_rate", kRatio, "0", func(s *Scenario) any { return &s.Faults.SQS.TimeoutRate },
				"Calls that time out.", between(0, 1)),
			leaf("latency", kDuration, "100ms", func(s *Scenario) any { return &s.Faults.SQS.Latency },
				"Delay added to the calls chosen by latency_rate.", between(0, 1*minute)),
			leaf("seed", kInt, "1", func(s *Scenario) any { return &s.Faults.SQS.Seed },
				"Seed of the fault choices, for reproducible runs."),
		),
		object("crash", "Kill the service once without a graceful shutdown.",
			leaf("after", kRatio, "0", func(s *Scenario) any { return &s.Faults.Crash.After },
				"Share of tasks processed at which the service is killed, such as 50%; 0 never kills it.", between(0, 0.99)),
			leaf("restart", kBool, "true", func(s *Scenario) any { return &s.Faults.Crash.Restart },
				"Start the service again after the kill."),
		),
	),
	object("profile", "Profiles written next to the report.",
		leaf("cpu", kBool, "false", func(s *Scenario) any { return &s.Profile.CPU },
			"CPU profile of the measured phase (go tool pprof)."),
		leaf("heap", kBool, "false", func(s *Scenario) any { return &s.Profile.Heap },
			"Heap profile at the end of the run (go tool pprof)."),
		leaf("trace", kDuration, "0", func(s *Scenario) any { return &s.Profile.Trace },
			"Length of an execution trace window (go tool trace); 0 takes none.", between(0, 1*minute)),
	),
	{key: "thresholds", kind: kThresholds,
		doc: "Bounds that decide pass or fail, one expression each, such as `lost == 0`, `p99(stage.process) < 50ms`, `throughput > 40/s`, `scaling(throughput, service.workers) >= 0.8`. Judged on the median across repeats."},
	{key: "matrix", kind: kMatrix,
		doc: "Settings to sweep: field path -> list of values, such as service.workers: [2, 4, 8]. Each combination is one case."},
	object("baseline", "Comparison with the stored baseline.",
		&field{key: "metrics", kind: kMetricList,
			doc: "Flat metric keys gated against the baseline, such as cpu.per_message or stage.process.p99. Default: the metrics registered as gates."},
		&field{key: "tolerance", kind: kRatioMap,
			doc: "Minimum relative change that matters, by metric key, such as {throughput: 25%}. Default: each metric's registered tolerance."},
		leaf("min_samples", kInt, "0", func(s *Scenario) any { return &s.Baseline.MinSamples },
			"Samples per side needed for a verdict; 0 uses the verdict's default.", between(0, 1000), notAxis),
	),
}

var (
	fieldsByPath = map[string]*field{}
	axisPaths    []string
)

func init() {
	var walk func(fs []*field, prefix string, axisOK bool)
	walk = func(fs []*field, prefix string, axisOK bool) {
		for _, f := range fs {
			f.path = prefix + f.key
			fieldsByPath[f.path] = f
			if f.kind == kObject {
				// Only the run's settings may be swept; metadata and baseline options may not.
				walk(f.children, f.path+".", f.key != "baseline")
				continue
			}
			if !axisOK || f.ref == nil {
				f.axis = false
			}
			if f.axis {
				axisPaths = append(axisPaths, f.path)
			}
		}
	}
	walk(rootFields, "", false)
}

// keysOf returns the keys of a field list, for "did you mean" and messages.
func keysOf(fs []*field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.key
	}
	return out
}

// formatBound formats a bound or value of f's kind the way it is written.
func formatBound(f *field, v float64) string {
	switch f.kind {
	case kDuration, kDist:
		return units.FormatDuration(v / second)
	case kSize:
		return units.FormatSize(v)
	case kRate:
		return units.FormatRate(v)
	case kRatio:
		return units.FormatPercent(v)
	}
	return units.Number(v)
}

// allowedText says what f accepts, for messages.
func allowedText(f *field) string {
	switch f.kind {
	case kString:
		switch {
		case len(f.enum) > 0:
			return "one of " + strings.Join(f.enum, ", ")
		case f.pattern != nil:
			return f.patternHelp
		}
		return "text"
	case kInt:
		return "a whole number such as 4"
	case kBool:
		return "true or false"
	case kDuration:
		return "a duration such as 10ms, 2s or 1.5m"
	case kSize:
		return "a size such as 512B, 64KiB or 10MB"
	case kRate:
		return "a rate such as 50/s or 3000/min (0: as fast as possible)"
	case kRatio:
		return "a percentage such as 20% (or a fraction such as 0.2)"
	case kDist:
		return "a duration such as 10ms, or {uniform: {min: 5ms, max: 15ms}}, or {lognormal: {median: 20ms, p99: 80ms}}"
	}
	return ""
}
