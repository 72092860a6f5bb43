package scenario

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const suiteDir = "../../scenarios"

func suiteFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

// parseErrors returns the formatted problems of src, one per line.
func parseErrors(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("t.yaml", []byte(src))
	require.Error(t, err)
	var list ErrorList
	require.ErrorAs(t, err, &list)
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}

func TestSuiteFilesLoad(t *testing.T) {
	want := []string{"blocking", "capacity", "concurrent", "errors", "memory", "scalability", "stress"}
	var names []string
	for _, f := range suiteFiles(t) {
		s, err := Load(f)
		require.NoError(t, err, f)
		names = append(names, s.Name)
		assert.Equal(t, defaultName(f), s.Name, "%s: name should match the file name", f)
		assert.NotEmpty(t, s.Thresholds, f)
		assert.NotEmpty(t, s.Description, f)
		assert.True(t, strings.HasPrefix(string(s.Source), "# yaml-language-server: $schema=./scenario.schema.json\n"), f)
		hasLost := false
		for _, th := range s.Thresholds {
			hasLost = hasLost || th.Parsed.Key() == "lost"
		}
		assert.True(t, hasLost, "%s: every suite scenario must prove nothing is lost", f)
	}
	assert.Subset(t, names, want)
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, "name: minimal\n")
	assert.Equal(t, "minimal", s.Name)
	assert.Equal(t, 1, s.Repeats)
	assert.Equal(t, 2*time.Minute, s.Timeout)
	assert.Equal(t, Service{
		Handler: "download", Workers: 4, MaxConcurrentJobs: 10, MaxQueueSize: 100, Pollers: 2, Seed: 1,
		ShutdownTimeout: 10 * time.Second,
		Task:            TaskCost{IOWait: Dist{Kind: DistConstant, Value: 10 * time.Millisecond}, Payload: 1024},
	}, s.Service)
	assert.Equal(t, SQS{Backend: "embedded", Region: "us-east-1", VisibilityTimeout: 5 * time.Second, MaxReceiveCount: 3,
		WaitTime: time.Second, Queues: QueueNames{Jobs: "export-jobs", Tasks: "download-tasks", DeadLetter: "export-dlq"}}, s.SQS)
	assert.Equal(t, LoadSpec{Jobs: 100, TasksPerJob: 4, Batches: 1, Senders: 4}, s.Load)
	assert.Equal(t, Faults{SQS: SQSFaults{Latency: 100 * time.Millisecond, Seed: 1}, Crash: CrashFault{Restart: true}}, s.Faults)
	assert.Equal(t, Profile{}, s.Profile)
	assert.Empty(t, s.Thresholds)
	assert.Empty(t, s.Matrix)

	// The name defaults to the file name.
	s, err := Parse("dir/nightly-stress.yaml", []byte("load: {jobs: 5}\n"))
	require.NoError(t, err)
	assert.Equal(t, "nightly-stress", s.Name)
	assert.Equal(t, "dir/nightly-stress.yaml", s.File)
}

func TestUnitsAsPeopleWriteThem(t *testing.T) {
	s := mustParse(t, `
timeout: 1.5m
service:
  failure_rate: 20%
  crash_rate: 0.05
  shutdown_timeout: 2s
  task:
    cpu: 250us
    io_wait: {uniform: {min: 5ms, max: 15ms}}
    alloc: 64KiB
    payload: 10MB
load:
  rate: 3000/min
  payload: 512B
  batch_interval: 1m30s
faults:
  sqs: {latency_rate: 10%, latency: 50ms}
  crash: {after: 50%, restart: false}
profile: {cpu: true, trace: 2s}
baseline:
  metrics: [cpu.per_message, stage.process.p99]
  tolerance: {throughput: 25%, alloc.per_message: 0.1}
  min_samples: 5
`)
	assert.Equal(t, 90*time.Second, s.Timeout)
	assert.InDelta(t, 0.2, s.Service.FailureRate, 1e-12)
	assert.InDelta(t, 0.05, s.Service.CrashRate, 1e-12)
	assert.Equal(t, 250*time.Microsecond, s.Service.Task.CPU)
	assert.Equal(t, Dist{Kind: DistUniform, Min: 5 * time.Millisecond, Max: 15 * time.Millisecond}, s.Service.Task.IOWait)
	assert.Equal(t, int64(65536), s.Service.Task.Alloc)
	assert.Equal(t, int64(10_000_000), s.Service.Task.Payload)
	assert.InDelta(t, 50, s.Load.Rate, 1e-12)
	assert.Equal(t, int64(512), s.Load.Payload)
	assert.Equal(t, 90*time.Second, s.Load.BatchInterval)
	assert.InDelta(t, 0.1, s.Faults.SQS.LatencyRate, 1e-12)
	assert.Equal(t, CrashFault{After: 0.5, Restart: false}, s.Faults.Crash)
	assert.Equal(t, Profile{CPU: true, Trace: 2 * time.Second}, s.Profile)
	assert.Equal(t, []string{"cpu.per_message", "stage.process.p99"}, s.Baseline.Metrics)
	assert.Equal(t, map[string]float64{"throughput": 0.25, "alloc.per_message": 0.1}, s.Baseline.Tolerance)
}

func TestDistForms(t *testing.T) {
	for src, want := range map[string]Dist{
		"10ms":                                   {Kind: DistConstant, Value: 10 * time.Millisecond},
		"{constant: 3ms}":                        {Kind: DistConstant, Value: 3 * time.Millisecond},
		"{lognormal: {median: 20ms, p99: 80ms}}": {Kind: DistLognormal, Median: 20 * time.Millisecond, P99: 80 * time.Millisecond},
		"{uniform: {max: 2s, min: 1s}}":          {Kind: DistUniform, Min: time.Second, Max: 2 * time.Second},
	} {
		s := mustParse(t, "service: {task: {io_wait: "+src+"}}\n")
		assert.Equal(t, want, s.Service.Task.IOWait, src)
	}
	ln := Dist{Kind: DistLognormal, Median: 20 * time.Millisecond, P99: 80 * time.Millisecond}
	// p99 = median * exp(2.3263 sigma)  =>  sigma = ln(4)/2.3263
	assert.InDelta(t, 0.5959, ln.Sigma(), 1e-4)
	assert.InDelta(t, float64(20*time.Millisecond)*1.1942, float64(ln.Mean()), float64(50*time.Microsecond))
	assert.Equal(t, 10*time.Millisecond, Dist{Kind: DistUniform, Min: 5 * time.Millisecond, Max: 15 * time.Millisecond}.Mean())
}

func TestErrorNamesFileLineColumnAndField(t *testing.T) {
	src := "name: stress\n" + strings.Repeat("# padding\n", 9) + "service:\n  workers: 0\n"
	_, err := Parse("scenarios/stress.yaml", []byte(src))
	require.Error(t, err)
	assert.Equal(t, "scenarios/stress.yaml:12:3: service.workers: must be between 1 and 1024, got 0", err.Error())
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"unknown key with suggestion", "service:\n  wokers: 4\n",
			[]string{"t.yaml:2:3: service.wokers: unknown key: did you mean workers?"}},
		{"known key in the wrong section", "workers: 4\n",
			[]string{"t.yaml:1:1: workers: unknown key here: did you mean service.workers?"}},
		{"known key in two other sections", "service:\n  jobs: 4\n",
			[]string{"t.yaml:2:3: service.jobs: unknown key in service: did you mean load.jobs or sqs.queues.jobs?"}},
		{"unknown key without a near match", "load:\n  zzzzzzzz: 1\n",
			[]string{"t.yaml:2:3: load.zzzzzzzz: unknown key; allowed in load: jobs, tasks_per_job, batches, batch_interval, rate, senders, payload, warmup"}},
		{"duration without unit", "timeout: 10\n",
			[]string{"t.yaml:1:1: timeout: 10 has no unit: write a duration such as 10ms or 10s"}},
		{"size without unit", "load: {payload: 512}\n",
			[]string{"t.yaml:1:8: load.payload: 512 has no unit: write a size such as 512B or 512KiB"}},
		{"rate without unit", "load:\n  rate: 50\n",
			[]string{"t.yaml:2:3: load.rate: 50 has no unit: write a rate such as 50/s or 50/min"}},
		{"wrong unit", "timeout: 2KiB\n", []string{"t.yaml:1:1: timeout: 2KiB is a size, not a duration: write a duration such as 50ms or 2s"}},
		{"ratio out of range", "service: {failure_rate: 120%}\n",
			[]string{"t.yaml:1:11: service.failure_rate: must be between 0% and 100%, got 120%"}},
		{"string for int", "service: {workers: four}\n",
			[]string{`t.yaml:1:11: service.workers: must be a whole number; found "four"`}},
		{"float for int", "service: {workers: 2.5}\n",
			[]string{`t.yaml:1:11: service.workers: must be a whole number; found "2.5"`}},
		{"int out of range", "load:\n  senders: 1000\n",
			[]string{"t.yaml:2:3: load.senders: must be between 1 and 256, got 1000"}},
		{"enum with suggestion", "sqs: {backend: localstak}\n",
			[]string{`t.yaml:1:7: sqs.backend: "localstak" is not allowed: did you mean localstack? (one of embedded, localstack, endpoint)`}},
		{"whole seconds", "sqs:\n  visibility_timeout: 1500ms\n",
			[]string{"t.yaml:2:3: sqs.visibility_timeout: must be whole seconds (SQS takes seconds), got 1.5s"}},
		{"wait time limit", "sqs:\n  wait_time: 30s\n",
			[]string{"t.yaml:2:3: sqs.wait_time: must be between 0s and 20s, got 30s"}},
		{"null value", "service:\n  workers:\n",
			[]string{"t.yaml:2:3: service.workers: has no value: write a whole number such as 4, or remove the key to use the default (4)"}},
		{"section not a mapping", "service: 4\n",
			[]string{`t.yaml:1:10: service: must be a mapping with keys such as handler, workers, max_concurrent_jobs; found "4"`}},
		{"duplicate key", "load:\n  jobs: 1\n  jobs: 2\n",
			[]string{"t.yaml:3:3: load.jobs: set twice (first on line 2): keep one"}},
		{"bad distribution", "service: {task: {io_wait: {normal: {median: 1ms}}}}\n",
			[]string{"t.yaml:1:18: service.task.io_wait: unknown distribution normal: did you mean lognormal?"}},
		{"uniform min above max", "service:\n  task:\n    io_wait: {uniform: {min: 2s, max: 1s}}\n",
			[]string{"t.yaml:3:5: service.task.io_wait: uniform min (2s) is above max (1s)"}},
		{"lognormal p99 below median", "service:\n  task:\n    io_wait: {lognormal: {median: 20ms, p99: 10ms}}\n",
			[]string{"t.yaml:3:5: service.task.io_wait: lognormal p99 (10ms) is below the median (20ms)"}},
		{"rates add up beyond 100%", "service:\n  failure_rate: 70%\n  crash_rate: 40%\n",
			[]string{"t.yaml:3:3: service.crash_rate: failure_rate + crash_rate is 110%; together they must be at most 100%"}},
		{"endpoint without endpoint backend", "sqs:\n  endpoint: http://127.0.0.1:9324\n",
			[]string{"t.yaml:2:3: sqs.endpoint: is only used with backend: endpoint (the backend is embedded): remove it or set backend: endpoint"}},
		{"same queue twice", "sqs:\n  queues:\n    jobs: q\n    tasks: q\n",
			[]string{`t.yaml:4:5: sqs.queues.tasks: "q" is also the name of sqs.queues.jobs: each queue needs its own name`}},
		{"fewer jobs than batches", "load:\n  jobs: 3\n  batches: 5\n",
			[]string{"t.yaml:3:3: load.batches: 5 batches need at least 5 jobs, and load.jobs is 3 (jobs is the total across batches)"}},
		{"bad name", "name: ../../etc\n",
			[]string{`t.yaml:1:1: name: "../../etc" is not allowed: write 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`}},
		{"threshold: misspelled metric, column inside the expression", "thresholds:\n  - p99(stage.proces) < 50ms\n",
			[]string{"t.yaml:2:9: thresholds[0]: p99(stage.proces) < 50ms: unknown metric stage.proces: did you mean stage.process?"}},
		{"threshold: quoted, wrong unit", "thresholds:\n  - \"throughput > 40\"\n",
			[]string{"t.yaml:2:19: thresholds[0]: throughput > 40: throughput is a rate, so 40 does not fit: write a rate such as 50/s"}},
		{"threshold written as a mapping", "thresholds:\n  - lost: 0\n",
			[]string{"t.yaml:2:5: thresholds[0]: must be an expression such as `lost == 0`; found a mapping (a ':' makes YAML read a mapping; write `- lost == 0`, not `- lost: 0`)"}},
		{"scaling without a matrix", "thresholds:\n  - scaling(throughput, service.workers) >= 0.8\n",
			[]string{"t.yaml:2:5: thresholds[0]: scaling(throughput, service.workers) >= 0.8: scaling(..., service.workers) needs a matrix: add `matrix: {service.workers: [2, 4, 8]}` to the scenario"}},
		{"scaling on another axis", "matrix: {load.jobs: [10, 20]}\nthresholds:\n  - scaling(throughput, service.workers) >= 0.8\n",
			[]string{"t.yaml:3:5: thresholds[0]: scaling(throughput, service.workers) >= 0.8: service.workers is not a matrix axis of this scenario; its axes are: load.jobs"}},
		{"matrix path misspelled", "matrix:\n  service.worker: [2, 4]\n",
			[]string{"t.yaml:2:3: matrix.service.worker: is not a field the matrix can sweep: did you mean service.workers?"}},
		{"matrix on metadata", "matrix:\n  repeats: [1, 2]\n",
			[]string{"t.yaml:2:3: matrix.repeats: is not a field the matrix can sweep (only service, sqs, load, faults and profile settings can be swept)"}},
		{"matrix value of the wrong type", "matrix:\n  service.workers: [2, four]\n",
			[]string{`t.yaml:2:24: matrix.service.workers[1]: must be a whole number; found "four"`}},
		{"matrix value out of range", "matrix:\n  service.workers: [2, 0]\n",
			[]string{"t.yaml:2:24: service.workers: must be between 1 and 1024, got 0 (in case t/workers=0)"}},
		{"matrix value duplicated", "matrix:\n  load.jobs: [10, 10]\n",
			[]string{"t.yaml:2:19: matrix.load.jobs[1]: 10 is listed twice (also item 0)"}},
		{"matrix combination invalid", "load: {batches: 5}\nmatrix:\n  load.jobs: [3, 10]\n",
			[]string{"t.yaml:1:8: load.batches: 5 batches need at least 5 jobs, and load.jobs is 3 (jobs is the total across batches) (in case t/jobs=3)"}},
		{"baseline metric misspelled", "baseline:\n  metrics: [cpu.per_mesage]\n",
			[]string{"t.yaml:2:13: baseline.metrics[0]: unknown metric cpu.per_mesage: did you mean cpu.per_message?"}},
		{"baseline distribution without stat", "baseline:\n  metrics: [stage.process]\n",
			[]string{"t.yaml:2:13: baseline.metrics[0]: stage.process is a distribution: name a statistic, such as stage.process.p99"}},
		{"merge keys", "base: &b {workers: 2}\nservice:\n  <<: *b\n",
			[]string{"t.yaml:1:1: base: unknown key: did you mean name?",
				"t.yaml:3:3: service: merge keys (<<) are not supported: write the keys out"}},
		{"not a mapping", "- a\n- b\n", []string{"t.yaml:1:1: a scenario is a mapping of keys such as name, service, load and thresholds"}},
		{"empty", "", []string{"t.yaml: the file is empty: a scenario needs at least a name or load section (see scenarios/stress.yaml)"}},
		{"comment only", "# nothing\n", []string{"t.yaml: the file is empty: a scenario needs at least a name or load section (see scenarios/stress.yaml)"}},
		{"two documents", "name: a\n---\nname: b\n", []string{"t.yaml:2: more than one YAML document ('---'): put one scenario in each file"}},
		{"YAML syntax", "name: a\nservice:\n  workers: [1\n", []string{"t.yaml:3: invalid YAML: did not find expected ',' or ']'"}},
		{"tab indentation", "service:\n\tworkers: 2\n", []string{"t.yaml:2: invalid YAML: found character that cannot start any token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, parseErrors(t, tc.src))
		})
	}
}

// yaml.v3 names the line of the construct it was parsing, not of the
// fault: a one-space indent on line 24 came out as line 5.
func TestYAMLSyntaxErrorDeepInFileNamesItsLine(t *testing.T) {
	got := parseErrors(t, mustRead(t, "testdata/syntax-deep.yaml"))
	assert.Equal(t, []string{"t.yaml:24: invalid YAML: did not find expected key"}, got)
}

func TestEveryProblemAtOnceInFileOrder(t *testing.T) {
	got := parseErrors(t, mustRead(t, "testdata/malformed.yaml"))
	assert.Equal(t, []string{
		"t.yaml:5:3: service.wokers: unknown key: did you mean workers?",
		"t.yaml:6:3: service.max_queue_size: must be between 1 and 1000000, got 0",
		"t.yaml:9:3: load.rate: 50 has no unit: write a rate such as 50/s or 50/min",
		"t.yaml:11:9: thresholds[0]: p99(stage.proces) < 50ms: unknown metric stage.proces: did you mean stage.process?",
	}, got)
}

func TestAnchorsAndExtensionKeys(t *testing.T) {
	s := mustParse(t, `
x-io: &io {lognormal: {median: 3ms, p99: 9ms}}
x-workers: &w 6
service:
  workers: *w
  task:
    io_wait: *io
matrix:
  service.max_queue_size: [*w, 12]
`)
	assert.Equal(t, 6, s.Service.Workers)
	assert.Equal(t, Dist{Kind: DistLognormal, Median: 3 * time.Millisecond, P99: 9 * time.Millisecond}, s.Service.Task.IOWait)
	assert.Equal(t, []string{"6", "12"}, s.Matrix[0].Values)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	require.Error(t, err)
	assert.Equal(t, "testdata/does-not-exist.yaml: cannot read the scenario: no such file or directory", err.Error())
}

func TestImpossibleIsValid(t *testing.T) {
	s, err := Load("testdata/impossible.yaml")
	require.NoError(t, err)
	assert.Equal(t, "impossible", s.Name)
	require.Len(t, s.Thresholds, 2)
	assert.Equal(t, 1e9, s.Thresholds[1].Parsed.Bound)
	assert.Equal(t, 17, s.Thresholds[1].Line)
}

func TestCases(t *testing.T) {
	s := mustParse(t, `
name: sweep
service: {workers: 3}
matrix:
  service.workers: [2, 4]
  service.task.io_wait: [5ms, 20ms]
thresholds:
  - scaling(throughput, service.workers) >= 0.8
`)
	require.Equal(t, []string{"service.workers", "service.task.io_wait"}, s.MatrixPaths())
	assert.Equal(t, 5, s.Matrix[0].Line)
	cases, err := s.Cases()
	require.NoError(t, err)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
		assert.Nil(t, c.Scenario.Matrix)
		assert.Equal(t, "sweep", c.Scenario.Name)
	}
	assert.Equal(t, []string{"sweep/workers=2,io_wait=5ms", "sweep/workers=2,io_wait=20ms", "sweep/workers=4,io_wait=5ms", "sweep/workers=4,io_wait=20ms"}, names)
	assert.Equal(t, map[string]string{"service.workers": "4", "service.task.io_wait": "20ms"}, cases[3].Params)
	assert.Equal(t, 4, cases[3].Scenario.Service.Workers)
	assert.Equal(t, Dist{Kind: DistConstant, Value: 20 * time.Millisecond}, cases[3].Scenario.Service.Task.IOWait)
	assert.Equal(t, 3, s.Service.Workers, "expanding must not change the scenario")

	// Deep copies: changing one case touches nothing else.
	cases[0].Scenario.Thresholds[0].Expr = "changed"
	cases[0].Scenario.Baseline.Metrics = append(cases[0].Scenario.Baseline.Metrics, "lost")
	assert.NotEqual(t, "changed", s.Thresholds[0].Expr)
	assert.NotEqual(t, "changed", cases[1].Scenario.Thresholds[0].Expr)
	assert.NoError(t, cases[1].Scenario.Validate())

	// Each case hashes differently, and differently from the scenario.
	hashes := map[string]bool{s.Hash(): true}
	for _, c := range cases {
		hashes[c.Scenario.Hash()] = true
	}
	assert.Len(t, hashes, 5)
}

func TestCasesWithoutMatrix(t *testing.T) {
	s := mustParse(t, "name: one\n")
	cases, err := s.Cases()
	require.NoError(t, err)
	require.Len(t, cases, 1)
	assert.Equal(t, "one", cases[0].Name)
	assert.Empty(t, cases[0].Params)
	assert.Equal(t, s.Hash(), cases[0].Scenario.Hash())
}

func TestAxisLabelsDisambiguate(t *testing.T) {
	s := mustParse(t, "name: s\nmatrix:\n  service.seed: [1, 2]\n  faults.sqs.seed: [3]\n")
	cases, err := s.Cases()
	require.NoError(t, err)
	assert.Equal(t, "s/service.seed=1,faults.sqs.seed=3", cases[0].Name)
}

func TestMatrixSizeBound(t *testing.T) {
	src := "matrix:\n  service.seed: [" + seq(1, 20) + "]\n  load.jobs: [" + seq(1, 20) + "]\n"
	got := parseErrors(t, src)
	assert.Equal(t, []string{"t.yaml:3:3: matrix.load.jobs: the matrix would expand to more than 256 cases: sweep fewer values"}, got)
}

func seq(from, to int) string {
	var parts []string
	for i := from; i <= to; i++ {
		parts = append(parts, strconv.Itoa(i))
	}
	return strings.Join(parts, ", ")
}

func TestScale(t *testing.T) {
	s := mustParse(t, "load: {jobs: 100, warmup: 10, batches: 4}\ntimeout: 1m\nmatrix: {load.jobs: [10, 40]}\n")
	big := s.Scale(10)
	assert.Equal(t, 1000, big.Load.Jobs)
	assert.Equal(t, 100, big.Load.Warmup)
	assert.Equal(t, 10*time.Minute, big.Timeout)
	assert.Equal(t, []string{"100", "400"}, big.Matrix[0].Values)
	assert.Equal(t, 100, s.Load.Jobs, "Scale returns a copy")

	small := s.Scale(0.01)
	assert.Equal(t, 4, small.Load.Jobs, "at least one job per batch")
	assert.Equal(t, 1, small.Load.Warmup, "a warm-up stays at least 1")
	assert.Equal(t, time.Minute, small.Timeout, "a smaller run keeps its timeout")
	assert.Equal(t, []string{"1", "1"}, small.Matrix[0].Values)

	for _, f := range []float64{0, -1, nan(), inf()} {
		assert.Equal(t, 100, s.Scale(f).Load.Jobs, "factor %v", f)
	}
	noWarm := mustParse(t, "load: {jobs: 10}\n").Scale(3)
	assert.Equal(t, 0, noWarm.Load.Warmup)
	assert.Equal(t, 30, noWarm.Load.Jobs)
}

func TestHash(t *testing.T) {
	a := mustParse(t, "name: a\nservice: {workers: 4}\nthresholds: [lost == 0]\n")
	b := mustParse(t, "# a comment\nname: b\nrepeats: 5\nthresholds: [lost == 0, throughput > 1/s]\n")
	c := mustParse(t, "name: a\nservice: {workers: 5}\n")
	assert.Len(t, a.Hash(), 64)
	assert.Equal(t, a.Hash(), b.Hash(), "name, repeats, thresholds and formatting do not change what is measured")
	assert.NotEqual(t, a.Hash(), c.Hash())
	assert.Equal(t, a.Hash(), a.Clone().Hash())
}

func TestBatchSizes(t *testing.T) {
	assert.Equal(t, []int{4, 3, 3}, LoadSpec{Jobs: 10, Batches: 3}.BatchSizes())
	assert.Equal(t, []int{20, 20}, LoadSpec{Jobs: 40, Batches: 2}.BatchSizes())
	assert.Nil(t, LoadSpec{Jobs: 40}.BatchSizes())
}

func TestValidateAfterChange(t *testing.T) {
	s := mustParse(t, "service:\n  workers: 4\n")
	s.Service.Workers = 0
	err := s.Validate()
	require.Error(t, err)
	assert.Equal(t, "t.yaml:2:3: service.workers: must be between 1 and 1024, got 0", err.Error())
	s.Service.Workers = 4
	s.SQS.Backend = "sqs"
	s.Thresholds = append(s.Thresholds, Threshold{Expr: "lots == 0"})
	err = s.Validate()
	require.Error(t, err)
	assert.Equal(t, "t.yaml: sqs.backend: \"sqs\" is not allowed: use one of embedded, localstack, endpoint\n"+
		"t.yaml: thresholds[0]: lots == 0: column 1: unknown metric lots: did you mean lost?", err.Error())
}

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

// BenchmarkLoadSuiteFile measures reading, decoding and validating the
// largest suite file with its matrix (what `runner validate` does per file).
func BenchmarkLoadSuiteFile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(filepath.Join(suiteDir, "scalability.yaml")); err != nil {
			b.Fatal(err)
		}
	}
}
