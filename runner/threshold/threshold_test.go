package threshold

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		src   string
		key   string
		op    Op
		bound float64
		axis  string
	}{
		{"lost == 0", "lost", Equal, 0, ""},
		{"p99(stage.process) < 50ms", "stage.process.p99", Less, 0.050, ""},
		{"throughput > 40/s", "throughput", Greater, 40, ""},
		{"throughput >= 3000/min", "throughput", GreaterEqual, 50, ""},
		{"max(tick.lag) <= 100ms", "tick.lag.max", LessEqual, 0.1, ""},
		{"sched.latency.over_10ms < 5%", "sched.latency.over_10ms", Less, 0.05, ""},
		{"sched.latency.over_10ms < 0.05", "sched.latency.over_10ms", Less, 0.05, ""},
		{"heap.live.slope < 1MiB", "heap.live.slope", Less, 1 << 20, ""},
		{"heap.live.slope < 0", "heap.live.slope", Less, 0, ""},
		{"scaling(throughput, service.workers) >= 0.8", "throughput", GreaterEqual, 0.8, "service.workers"},
		{"scaling(throughput.jobs, load.senders) > 80%", "throughput.jobs", Greater, 0.8, "load.senders"},
		{"  duplicates   !=   3 ", "duplicates", NotEqual, 3, ""},
		{"stage.process.p99<2s", "stage.process.p99", Less, 2, ""},
		{"goroutines.slope < -0.5", "goroutines.slope", Less, -0.5, ""},
		{"p50(latency.job) < 1.5m", "latency.job.p50", Less, 90, ""},
		{"mean(stage.ack) < 250µs", "stage.ack.mean", Less, 250e-6, ""},
	} {
		t.Run(tc.src, func(t *testing.T) {
			e, err := Parse(tc.src)
			require.NoError(t, err)
			assert.Equal(t, tc.key, e.Key())
			assert.Equal(t, tc.op, e.Op)
			assert.InDelta(t, tc.bound, e.Bound, 1e-12)
			assert.Equal(t, tc.axis, e.Axis)
			assert.Equal(t, tc.src, e.Source)
			// The canonical form parses back to the same expression.
			again, err := Parse(e.String())
			require.NoError(t, err, e.String())
			assert.Equal(t, e.Key(), again.Key())
			assert.Equal(t, e.Bound, again.Bound)
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		col  int
		want string
	}{
		{"", 0, "empty threshold"},
		{"los == 0", 1, "unknown metric los: did you mean lost?"},
		{"p99(stage.proces) < 50ms", 5, "did you mean stage.process?"},
		{"p99(throughput) > 40/s", 1, "throughput is a single value, not a distribution"},
		{"stage.process < 50ms", 1, "stage.process is a distribution: name a statistic, as in p99(stage.process)"},
		{"p98(stage.process) < 50ms", 1, "unknown function p98: did you mean p90?"},
		{"p99(stage.process) < 50", 22, "p99(stage.process) is a duration, so 50 does not fit: write a duration such as 50ms or 2s"},
		{"throughput > 40", 14, "write a rate such as 50/s"},
		{"heap.live.slope < 1", 19, "write a size such as 64KiB or 10MB"},
		{"lost == 0ms", 9, "lost is a count, so 0ms does not fit"},
		{"goroutines.slope < 5%", 20, "goroutines.slope is a plain number, so 5% does not fit: write a number such as 0.8"},
		{"sched.latency.over_10ms < 5", 27, "write 5% if you meant a percentage"},
		{"sched.latency.over_10ms < 5ms", 27, "is a share"},
		{"lost = 0", 6, "write == for equality"},
		{"lost 0", 6, "expected a comparison"},
		{"lost ==", 8, "missing value after =="},
		{"lost", 5, "missing comparison"},
		{"lost == 0 0", 11, "unexpected value 0 after the value"},
		{"0 == lost", 1, "a threshold starts with the metric"},
		{"dead-lettered == 0", 5, "not dashes"},
		{"scaling(stage.queue_wait.p99, service.workers) > 0.8", 1, "scaling needs a metric where higher is better"},
		{"scaling(throughput) > 0.8", 19, "expected a comma"},
		{"scaling(throughput, 4) > 0.8", 21, "expected a matrix axis"},
		{"p99(scaling(throughput, x)) > 1", 5, "scaling(...) cannot be used inside p99(...)"},
		{"throughput > 40/fortnight", 14, "unknown rate unit"},
		{"heap.live.slope < 1mib", 19, "did you mean MiB"},
		{"throughput > 4e3/s", 14, "unknown unit"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			_, err := Parse(tc.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.col, te.Column, err.Error())
		})
	}
}

func TestCheckMatrix(t *testing.T) {
	e, err := Parse("scaling(throughput, service.workers) >= 0.8")
	require.NoError(t, err)
	require.NoError(t, e.Check([]string{"load.jobs", "service.workers"}))
	err = e.Check(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs a matrix")
	err = e.Check([]string{"service.worker"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did you mean service.worker?")

	plain, err := Parse("lost == 0")
	require.NoError(t, err)
	assert.NoError(t, plain.Check(nil))
}

func TestOpHolds(t *testing.T) {
	assert.True(t, Less.Holds(1, 2))
	assert.False(t, Less.Holds(2, 2))
	assert.True(t, LessEqual.Holds(2, 2))
	assert.True(t, Greater.Holds(3, 2))
	assert.False(t, Greater.Holds(2, 2))
	assert.True(t, GreaterEqual.Holds(2, 2))
	assert.True(t, Equal.Holds(0.1+0.2, 0.3), "floating point noise must not break ==")
	assert.False(t, Equal.Holds(1, 2))
	assert.True(t, NotEqual.Holds(1, 2))
	assert.False(t, NotEqual.Holds(0.3, 0.1+0.2))
	for _, op := range []Op{Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual} {
		assert.False(t, op.Holds(math.NaN(), 0), "NaN must never pass %s", op)
	}
}

func run(metrics map[string]float64) result.Run { return result.Run{Metrics: metrics} }

func TestJudgeMedianAcrossRuns(t *testing.T) {
	e, err := Parse("p99(stage.process) < 50ms")
	require.NoError(t, err)
	cases := []result.Case{
		{Name: "a", Runs: []result.Run{
			run(map[string]float64{"stage.process.p99": 0.010}),
			run(map[string]float64{"stage.process.p99": 0.900}), // one outlier repeat
			run(map[string]float64{"stage.process.p99": 0.020}),
		}},
		{Name: "b", Runs: []result.Run{
			run(map[string]float64{"stage.process.p99": 0.060}),
			run(map[string]float64{"stage.process.p99": 0.070}),
		}},
		{Name: "c", Runs: []result.Run{run(map[string]float64{"throughput": 5})}},
	}
	got := Judge(e, "scenarios/x.yaml:7", cases)
	require.Len(t, got, 3)

	assert.Equal(t, "a", got[0].Case)
	assert.InDelta(t, 0.020, got[0].Observed, 1e-12)
	assert.Equal(t, "20ms", got[0].Display)
	assert.True(t, got[0].Pass)
	assert.Equal(t, "scenarios/x.yaml:7", got[0].Source)
	assert.Equal(t, "p99(stage.process) < 50ms", got[0].Expr)

	assert.InDelta(t, 0.065, got[1].Observed, 1e-12, "median of an even count is the mean of the middle two")
	assert.Equal(t, "65ms", got[1].Display)
	assert.False(t, got[1].Pass)

	assert.False(t, got[2].Pass, "an unmeasured metric must not pass")
	assert.Contains(t, got[2].Error, "stage.process.p99 was not measured in any of the 1 runs of c")
}

func TestJudgeAccountingHoldsInEveryRun(t *testing.T) {
	lost, err := Parse("lost == 0")
	require.NoError(t, err)
	c := []result.Case{{Name: "x", Runs: []result.Run{
		run(map[string]float64{"lost": 0}), run(map[string]float64{"lost": 3}), run(map[string]float64{"lost": 0}),
	}}}
	r := Judge(lost, "", c)[0]
	assert.False(t, r.Pass, "the median is 0, but one run lost messages")
	assert.Equal(t, 3.0, r.Observed)
	assert.Equal(t, "3 (run 2 of 3)", r.Display)

	overflowed, err := Parse("overflowed > 0")
	require.NoError(t, err)
	c = []result.Case{{Name: "x", Runs: []result.Run{
		run(map[string]float64{"overflowed": 10}), run(map[string]float64{"overflowed": 12}), run(map[string]float64{"overflowed": 14}),
	}}}
	r = Judge(overflowed, "", c)[0]
	assert.True(t, r.Pass)
	assert.Equal(t, 12.0, r.Observed, "all pass: the median is shown")

	// Time-based and noisy metrics stay on the median.
	for _, name := range []string{"throughput", "tick.lag", "goroutines.max", "alloc.per_message", "heap.live.slope"} {
		d, ok := metric.Lookup(name)
		require.True(t, ok, name)
		assert.False(t, EveryRun(d), name)
	}
	for _, name := range []string{"lost", "duplicates", "crashes", "processed", "overflowed", "dead_lettered", "failures"} {
		d, ok := metric.Lookup(name)
		require.True(t, ok, name)
		assert.True(t, EveryRun(d), name)
	}
}

func TestJudgeNoCases(t *testing.T) {
	e, err := Parse("lost == 0")
	require.NoError(t, err)
	got := Judge(e, "", nil)
	require.Len(t, got, 1)
	assert.False(t, got[0].Pass)
	assert.NotEmpty(t, got[0].Error)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"lost == 0", "p99(stage.process) < 50ms", "throughput > 40/s",
		"scaling(throughput, service.workers) >= 0.8", "sched.latency.over_10ms < 5%",
		"heap.live.slope < 1MiB", "max(tick.lag) <= 100ms", "p99(", "((((", "a == -.5µs",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var te *Error
			if !assert.ErrorAs(t, err, &te) {
				return
			}
			assert.NotEmpty(t, te.Msg)
			return
		}
		// Anything accepted must survive its canonical spelling.
		again, err := Parse(e.String())
		require.NoError(t, err, "canonical form %q of %q", e.String(), s)
		assert.Equal(t, e.Key(), again.Key())
		assert.Equal(t, e.Op, again.Op)
		assert.Equal(t, e.Axis, again.Axis)
		assert.Equal(t, e.Bound, again.Bound)
		_ = Judge(e, "", []result.Case{scalingCase("1", 1), scalingCase("2", 3)})
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("p99(stage.process) < 50ms"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJudgeScaling judges a 3-point matrix of 5 repeats each, as a
// scalability scenario with -repeats 5 does.
func BenchmarkJudgeScaling(b *testing.B) {
	e, err := Parse("scaling(throughput, service.workers) >= 0.8")
	if err != nil {
		b.Fatal(err)
	}
	cases := []result.Case{
		scalingCase("2", 100, 101, 99, 100, 102),
		scalingCase("4", 190, 200, 180, 195, 185),
		scalingCase("8", 300, 320, 310, 305, 315),
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := Judge(e, "", cases); !r[0].Pass {
			b.Fatal(r[0])
		}
	}
}
