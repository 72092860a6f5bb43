package verdict

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// exactTwoSidedP is an independent reference for the Mann-Whitney test:
// it enumerates every way to choose which n of the pooled values belong to
// the first sample (all equally likely under the null hypothesis) and
// counts those whose U is at least as extreme as the observed one.
func exactTwoSidedP(x, y []float64) float64 {
	pooled := append(append([]float64(nil), x...), y...)
	n, total := len(x), len(x)+len(y)
	u := func(inX []bool) float64 {
		var s float64
		for i := range total {
			if !inX[i] {
				continue
			}
			for j := range total {
				if inX[j] {
					continue
				}
				switch {
				case pooled[i] > pooled[j]:
					s++
				case pooled[i] == pooled[j]:
					s += 0.5
				}
			}
		}
		return s
	}
	mean := float64(len(x)*len(y)) / 2
	observed := math.Abs(u(func() []bool {
		b := make([]bool, total)
		for i := range n {
			b[i] = true
		}
		return b
	}()) - mean)
	var extreme, all int
	inX := make([]bool, total)
	var rec func(start, left int)
	rec = func(start, left int) {
		if left == 0 {
			all++
			if math.Abs(u(inX)-mean) >= observed-1e-9 {
				extreme++
			}
			return
		}
		for i := start; i <= total-left; i++ {
			inX[i] = true
			rec(i+1, left-1)
			inX[i] = false
		}
	}
	rec(0, n)
	return float64(extreme) / float64(all)
}

func TestUTestKnownAnswers(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		p    float64 // exact two-sided p-value
	}{
		// Complete separation: 2 of C(6,3)=20 orderings.
		{"separated 3v3", []float64{1, 2, 3}, []float64{4, 5, 6}, 0.1},
		// 2 of C(10,5)=252 orderings.
		{"separated 5v5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252},
		// U=1: orderings with U<=1 are 2 of 20, doubled: R's wilcox.test gives W=1, p=0.2.
		{"one inversion 3v3", []float64{1, 2, 4}, []float64{3, 5, 6}, 0.2},
		// R's ?wilcox.test example: W = 35, one-sided p = 0.1272, so two-sided 0.2544.
		{"R example 10v5",
			[]float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46},
			[]float64{1.15, 0.88, 0.90, 0.74, 1.21}, 0.2544},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := uTest(tc.x, tc.y, 0.05)
			assert.InDelta(t, tc.p, got.P, 5e-4, "benchmath p")
			assert.InDelta(t, tc.p, exactTwoSidedP(tc.x, tc.y), 5e-4, "reference enumeration")
			assert.InDelta(t, exactTwoSidedP(tc.x, tc.y), got.P, 1e-9, "benchmath agrees with enumeration")
		})
	}
}

func TestUTestDoesNotReorderCallerSamples(t *testing.T) {
	x, y := []float64{3, 1, 2}, []float64{6, 4, 5}
	uTest(x, y, 0.05)
	assert.Equal(t, []float64{3, 1, 2}, x)
	assert.Equal(t, []float64{6, 4, 5}, y)
}

func TestUTestIdenticalSamplesIsNotSignificant(t *testing.T) {
	got := uTest([]float64{7, 7, 7, 7, 7, 7}, []float64{7, 7, 7, 7, 7, 7}, 0.05)
	assert.Equal(t, 1.0, got.P)
}

func TestHolmAdjust(t *testing.T) {
	// Sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> kept monotone at 0.06.
	got := HolmAdjust([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		assert.InDelta(t, want[i], got[i], 1e-12, "index %d", i)
	}
	assert.Empty(t, HolmAdjust(nil))
	assert.Equal(t, []float64{1, 1}, HolmAdjust([]float64{0.6, 0.7}), "capped at 1")
	assert.Equal(t, []float64{0.3}, HolmAdjust([]float64{0.3}), "a single test needs no correction")
}

func TestMinPValueAndSamplesNeeded(t *testing.T) {
	assert.InDelta(t, 2.0/20, minPValue(3, 3), 1e-12)
	assert.InDelta(t, 2.0/70, minPValue(4, 4), 1e-12)
	assert.InDelta(t, 2.0/252, minPValue(5, 5), 1e-12)
	assert.InDelta(t, 2.0/924, minPValue(6, 6), 1e-12)
	assert.InDelta(t, 2.0/286, minPValue(10, 3), 1e-12)
	assert.Equal(t, 1.0, minPValue(0, 5))
	assert.Equal(t, 4, SamplesNeeded(0.05))   // 2/70 = 0.029 <= 0.05 < 2/20
	assert.Equal(t, 5, SamplesNeeded(0.05/4)) // 2/252 = 0.0079 <= 0.0125
	assert.Equal(t, 6, SamplesNeeded(0.02/4)) // 2/924 = 0.0022 <= 0.005 < 2/252
	assert.Equal(t, 7, SamplesNeeded(0.001))  // 2/3432 = 0.00058
	assert.Equal(t, 1, SamplesNeeded(1))
}

var testFP = fingerprint.Fingerprint{CPUModel: "Test CPU", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", Backend: "embedded"}

// stored saves b as baselines/<name>.json in a temporary directory and
// loads it back, so that it knows its file as one read from disk does.
func stored(t *testing.T, b *baseline.Baseline, name string) *baseline.Baseline {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baselines", name+".json")
	require.NoError(t, baseline.Save(path, b))
	got, err := baseline.Load(path)
	require.NoError(t, err)
	require.Equal(t, path, got.File())
	return got
}

// caseOf builds a case whose run i has metrics[key][i].
func caseOf(name string, metrics map[string][]float64) result.Case {
	c := result.Case{Name: name}
	n := 0
	for _, vs := range metrics {
		n = max(n, len(vs))
	}
	for i := range n {
		m := map[string]float64{}
		for k, vs := range metrics {
			if i < len(vs) {
				m[k] = vs[i]
			}
		}
		c.Runs = append(c.Runs, result.Run{Repeat: i + 1, Metrics: m})
	}
	return c
}

func spread(centre float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = centre * (1 + 0.005*float64(i-n/2))
	}
	return out
}

func gates(n int, cpu, allocs, bytes, tput float64, lost ...float64) map[string][]float64 {
	m := map[string][]float64{
		"cpu.per_message":         spread(cpu, n),
		"alloc.per_message":       spread(allocs, n),
		"alloc.bytes_per_message": spread(bytes, n),
		"throughput":              spread(tput, n),
	}
	if len(lost) > 0 {
		m["lost"] = lost
	}
	return m
}

func byMetric(t *testing.T, r result.BaselineReport) map[string]result.Comparison {
	t.Helper()
	out := map[string]result.Comparison{}
	for _, c := range r.Comparisons {
		_, dup := out[c.Metric]
		require.False(t, dup, "metric %s compared twice", c.Metric)
		out[c.Metric] = c
	}
	return out
}

func TestCompareFlagsOnlyTheMetricThatMovedBeyondTolerance(t *testing.T) {
	base := stored(t, baseline.FromCase("stress", "h1", testFP, caseOf("stress", gates(8, 100e-6, 80, 8000, 1000))), "stress")
	cur := caseOf("stress", gates(8, 120e-6, 80*1.04, 8000*0.5, 1000))
	rep := Compare(base, cur, testFP, Options{ScenarioHash: "h1"})

	assert.True(t, rep.Found)
	assert.True(t, rep.SameMachine)
	assert.Equal(t, base.File(), rep.File)
	assert.Empty(t, rep.Warnings)
	got := byMetric(t, rep)

	cpu := got["cpu.per_message"]
	assert.Equal(t, Regression, cpu.Verdict, cpu.Note)
	assert.InDelta(t, 0.20, cpu.Change, 1e-9)
	assert.InDelta(t, 100e-6, cpu.Baseline, 2e-6)
	assert.LessOrEqual(t, cpu.P, DefaultAlpha)
	assert.Equal(t, 0.10, cpu.Tolerance)
	assert.Equal(t, "stress", cpu.Case)

	allocs := got["alloc.per_message"]
	assert.Equal(t, Unchanged, allocs.Verdict, "4%% is significant but inside the 20%% tolerance")
	assert.Contains(t, allocs.Note, "within the 20% tolerance")

	assert.Equal(t, Improvement, got["alloc.bytes_per_message"].Verdict)
	assert.Equal(t, Unchanged, got["throughput"].Verdict)
	assert.True(t, Regressed(rep))
}

func TestCompareHigherIsBetterDirection(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(8, 100e-6, 80, 8000, 1000)))
	rep := Compare(base, caseOf("s", gates(8, 100e-6, 80, 8000, 700)), testFP, Options{})
	assert.Equal(t, Regression, byMetric(t, rep)["throughput"].Verdict, "30% less throughput with a 20% tolerance")
	rep = Compare(base, caseOf("s", gates(8, 100e-6, 80, 8000, 1400)), testFP, Options{})
	assert.Equal(t, Improvement, byMetric(t, rep)["throughput"].Verdict)
	assert.False(t, Regressed(rep))
}

func TestCompareTooFewSamplesWarnsWithTheNumberNeeded(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(3, 100e-6, 80, 8000, 1000)))
	// A large slowdown, but three samples per side can never reach p <= 0.005.
	rep := Compare(base, caseOf("s", gates(3, 300e-6, 80, 8000, 1000)), testFP, Options{})
	cpu := byMetric(t, rep)["cpu.per_message"]
	assert.Equal(t, Warning, cpu.Verdict)
	assert.Contains(t, cpu.Note, "need 6 per side")
	assert.Contains(t, cpu.Note, "have 3 in the baseline and 3 in this run")
	assert.False(t, Regressed(rep), "too few samples is a warning, not a coin-flip failure")

	// The floor from Options applies on top of what the test needs.
	base = baseline.FromCase("s", "", testFP, caseOf("s", gates(8, 100e-6, 80, 8000, 1000)))
	rep = Compare(base, caseOf("s", gates(8, 300e-6, 80, 8000, 1000)), testFP, Options{MinSamples: 10})
	assert.Contains(t, byMetric(t, rep)["cpu.per_message"].Note, "need 10 per side")
}

func TestCompareOtherMachineJudgesOnlyMachineIndependentMetrics(t *testing.T) {
	other := testFP
	other.CPUModel, other.GoVersion = "Other CPU", "go1.27.1"
	baseSamples, curSamples := gates(8, 100e-6, 80, 8000, 1000), gates(8, 200e-6, 160, 8000, 1000)
	baseSamples["alloc.own.per_message"], curSamples["alloc.own.per_message"] = spread(20, 8), spread(40, 8)
	base := baseline.FromCase("s", "", other, caseOf("s", baseSamples))
	cur := caseOf("s", curSamples)
	rep := Compare(base, cur, testFP, Options{})

	assert.False(t, rep.SameMachine)
	require.NotEmpty(t, rep.Warnings)
	assert.Contains(t, rep.Warnings[0], `CPU model differs: baseline "Other CPU", this run "Test CPU"`)
	assert.Contains(t, rep.Warnings[0], "Go version differs")
	assert.Contains(t, rep.Warnings[0], "information only")
	got := byMetric(t, rep)
	assert.Equal(t, Info, got["cpu.per_message"].Verdict)
	assert.Equal(t, Info, got["throughput"].Verdict)
	assert.Equal(t, Info, got["alloc.per_message"].Verdict, "the whole process's allocations follow batching, that is, timing")
	assert.Equal(t, Regression, got["alloc.own.per_message"].Verdict, "the consumer's own allocations are judged on any machine")

	rep = Compare(base, cur, testFP, Options{StrictMachine: true})
	assert.Equal(t, Regression, byMetric(t, rep)["cpu.per_message"].Verdict)
	assert.Contains(t, rep.Warnings[0], "strict machine mode")
}

func TestCompareLostIsAnExactCount(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(3, 100e-6, 80, 8000, 1000, 0, 0, 0)))
	rep := Compare(base, caseOf("s", gates(3, 100e-6, 80, 8000, 1000, 0, 2, 0)), testFP, Options{})
	lost := byMetric(t, rep)["lost"]
	assert.Equal(t, Regression, lost.Verdict, "one run losing messages is a regression without any test")
	assert.Contains(t, lost.Note, "above the baseline's worst 0")
	assert.True(t, Regressed(rep))

	rep = Compare(base, caseOf("s", gates(3, 100e-6, 80, 8000, 1000, 0, 0, 0)), testFP, Options{})
	assert.Equal(t, Unchanged, byMetric(t, rep)["lost"].Verdict)

	// Also on another machine: a lost message is lost anywhere.
	other := testFP
	other.Cores = 64
	rep = Compare(base, caseOf("s", gates(3, 100e-6, 80, 8000, 1000, 1)), other, Options{})
	assert.Equal(t, Regression, byMetric(t, rep)["lost"].Verdict)
}

func TestCompareInfoMetricsAreNeverJudged(t *testing.T) {
	m := gates(8, 100e-6, 80, 8000, 1000)
	m["stage.process.p99"] = spread(0.010, 8)
	base := baseline.FromCase("s", "", testFP, caseOf("s", m))
	m2 := gates(8, 100e-6, 80, 8000, 1000)
	m2["stage.process.p99"] = spread(0.100, 8)
	rep := Compare(base, caseOf("s", m2), testFP, Options{})
	p99 := byMetric(t, rep)["stage.process.p99"]
	assert.Equal(t, Info, p99.Verdict)
	assert.InDelta(t, 9.0, p99.Change, 0.01)
	assert.False(t, Regressed(rep))
	_, present := byMetric(t, rep)["latency.job.p50"]
	assert.False(t, present, "metrics measured on neither side are left out")
}

func TestCompareExplicitMetricsAndTolerances(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(8, 100e-6, 80, 8000, 1000)))
	cur := caseOf("s", gates(8, 120e-6, 80, 8000, 1000))
	rep := Compare(base, cur, testFP, Options{
		Metrics:   []string{"cpu.per_message", "cpu.per_mesage", "retried"},
		Tolerance: map[string]float64{"cpu.per_message": 0.25},
	})
	got := byMetric(t, rep)
	assert.Len(t, got, 1, "retried has no samples on either side; the misspelled key is a warning")
	assert.Equal(t, Unchanged, got["cpu.per_message"].Verdict, "20%% is inside the 25%% override")
	assert.Equal(t, 0.25, got["cpu.per_message"].Tolerance)
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], `unknown metric "cpu.per_mesage"`)
	assert.Contains(t, rep.Warnings[0], `did you mean "cpu.per_message"?`)
}

func TestCompareMissingSides(t *testing.T) {
	b := gates(8, 100e-6, 80, 8000, 1000)
	delete(b, "throughput")
	base := baseline.FromCase("s", "", testFP, caseOf("s", b))
	c := gates(8, 100e-6, 80, 8000, 1000)
	delete(c, "alloc.per_message")
	got := byMetric(t, Compare(base, caseOf("s", c), testFP, Options{}))
	assert.Equal(t, Warning, got["throughput"].Verdict)
	assert.Contains(t, got["throughput"].Note, "baseline has no samples")
	assert.Equal(t, Warning, got["alloc.per_message"].Verdict)
	assert.Contains(t, got["alloc.per_message"].Note, "did not measure")
}

func TestCompareZeroBaseline(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", map[string][]float64{"heap.live.slope": {0, 0, 0, 0, 0, 0, 0, 0}}))
	cur := caseOf("s", map[string][]float64{"heap.live.slope": {5, 6, 7, 8, 5, 6, 7, 8}})
	got := byMetric(t, Compare(base, cur, testFP, Options{Metrics: []string{"heap.live.slope"}}))["heap.live.slope"]
	assert.Equal(t, Regression, got.Verdict)
	assert.Equal(t, 0.0, got.Change)
	assert.Contains(t, got.Note, "baseline median is 0")
}

func TestCompareWarnsOnChangedScenarioAndNilBaseline(t *testing.T) {
	base := baseline.FromCase("s", "old", testFP, caseOf("s", gates(8, 1, 1, 1, 1)))
	rep := Compare(base, caseOf("s", gates(8, 1, 1, 1, 1)), testFP, Options{ScenarioHash: "new"})
	require.Len(t, rep.Warnings, 1)
	assert.Contains(t, rep.Warnings[0], "scenario file changed")

	rep = Compare(nil, caseOf("s", gates(8, 1, 1, 1, 1)), testFP, Options{})
	assert.False(t, rep.Found)
	assert.False(t, Regressed(rep))
}

func TestCompareOrderIsStable(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(8, 100e-6, 80, 8000, 1000, 0, 0, 0, 0, 0, 0, 0, 0)))
	cur := caseOf("s", gates(8, 100e-6, 80, 8000, 1000, 0, 0, 0, 0, 0, 0, 0, 0))
	var first []string
	for i := range 5 {
		var names []string
		for _, c := range Compare(base, cur, testFP, Options{}).Comparisons {
			names = append(names, c.Metric)
		}
		if i == 0 {
			first = names
			require.NotEmpty(t, names)
		}
		assert.Equal(t, first, names)
	}
}

func nan() float64 { return math.NaN() }

func TestCompareFamilyCountsOnlyMetricsMeasuredOnBothSides(t *testing.T) {
	only := map[string][]float64{"cpu.per_message": spread(100e-6, 5), "alloc.per_message": spread(80, 5)}
	base := baseline.FromCase("s", "", testFP, caseOf("s", only))
	cur := map[string][]float64{"cpu.per_message": spread(150e-6, 5), "alloc.per_message": spread(80, 5)}
	// Two metrics: 5 per side reach 2/252 <= 0.02/2, so no warning and the slowdown is found.
	got := byMetric(t, Compare(base, caseOf("s", cur), testFP, Options{}))
	assert.Equal(t, Regression, got["cpu.per_message"].Verdict, got["cpu.per_message"].Note)
	assert.Len(t, got, 2)
}

func TestExactCheckPValues(t *testing.T) {
	cmp := result.Comparison{}
	exactCheck(&cmp, []float64{0, 1}, []float64{1, 0})
	assert.Equal(t, Unchanged, cmp.Verdict)
	assert.Equal(t, 1.0, cmp.P)
	cmp = result.Comparison{}
	exactCheck(&cmp, []float64{0, 1}, []float64{0, 2})
	assert.Equal(t, Regression, cmp.Verdict)
	assert.Equal(t, 0.0, cmp.P)
	cmp = result.Comparison{}
	exactCheck(&cmp, []float64{3}, []float64{0})
	assert.Equal(t, Improvement, cmp.Verdict)
}

func TestCompareUnequalSampleSizes(t *testing.T) {
	// 10 baseline runs and 4 current ones: the smallest p is 2/C(14,4) = 0.002 <= 0.02/4,
	// so a clear slowdown is judged rather than warned about.
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(10, 100e-6, 80, 8000, 1000)))
	got := byMetric(t, Compare(base, caseOf("s", gates(4, 150e-6, 80, 8000, 1000)), testFP, Options{}))
	assert.Equal(t, Regression, got["cpu.per_message"].Verdict, got["cpu.per_message"].Note)
	// 10 and 2: 2/C(12,2) = 0.03 can never reach it.
	got = byMetric(t, Compare(base, caseOf("s", gates(2, 150e-6, 80, 8000, 1000)), testFP, Options{}))
	assert.Equal(t, Warning, got["cpu.per_message"].Verdict)
	assert.Contains(t, got["cpu.per_message"].Note, "have 10 in the baseline and 2 in this run")
}

// TestCompareLeavesIdenticalMetricsOutOfTheFamily: a metric that read the
// same value in every run on both sides is unchanged without a test and
// does not make the others' correction stricter; one that moved at all is
// tested as usual.
func TestCompareLeavesIdenticalMetricsOutOfTheFamily(t *testing.T) {
	baseS, curS := gates(8, 100e-6, 80, 8000, 1000), gates(8, 130e-6, 80, 8000, 1000)
	without := byMetric(t, Compare(baseline.FromCase("s", "", testFP, caseOf("s", baseS)), caseOf("s", curS), testFP, Options{}))

	same := []float64{20, 20, 20, 20, 20, 20, 20, 20}
	baseS[metric.AllocOwn], curS[metric.AllocOwn] = same, same
	with := byMetric(t, Compare(baseline.FromCase("s", "", testFP, caseOf("s", baseS)), caseOf("s", curS), testFP, Options{}))
	assert.Equal(t, Unchanged, with[metric.AllocOwn].Verdict)
	assert.Equal(t, "the same value in every run on both sides", with[metric.AllocOwn].Note)
	assert.Equal(t, without["cpu.per_message"].P, with["cpu.per_message"].P, "the constant metric is not in Holm's family")

	curS[metric.AllocOwn] = []float64{30, 30, 31, 30, 30, 32, 30, 30}
	got := byMetric(t, Compare(baseline.FromCase("s", "", testFP, caseOf("s", baseS)), caseOf("s", curS), testFP, Options{}))
	assert.Equal(t, Regression, got[metric.AllocOwn].Verdict, "once it moves it is tested")
}

// TestCompareJudgesBoundsWithoutATest: the largest batch asked for is a
// property of the code that timing can only keep a run from reaching, so
// one run asking for 1 against a baseline of 10 is a regression (no test
// could say so from one run), and a run that did not fill its batches as
// often as the baseline's worst is not.
func TestCompareJudgesBoundsWithoutATest(t *testing.T) {
	tens := []float64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}
	cmp := func(base, cur []float64) result.Comparison {
		b, c := gates(len(base), 100e-6, 80, 8000, 1000), gates(len(cur), 100e-6, 80, 8000, 1000)
		b[metric.SQSBatchDelete], c[metric.SQSBatchDelete] = base, cur
		return byMetric(t, Compare(baseline.FromCase("s", "", testFP, caseOf("s", b)), caseOf("s", c), testFP, Options{}))[metric.SQSBatchDelete]
	}
	lost := cmp(tens, []float64{1})
	assert.Equal(t, Regression, lost.Verdict)
	assert.Contains(t, lost.Note, "this run's best 1 is below the baseline's worst 10")

	assert.Equal(t, Unchanged, cmp([]float64{4, 10, 10, 6, 10, 10}, []float64{3}).Verdict, "3 is within 50% of the baseline's worst, 4")
	assert.Equal(t, Unchanged, cmp(tens, []float64{10}).Verdict)
	assert.Equal(t, Improvement, cmp([]float64{1, 1, 1}, []float64{10, 10}).Verdict)
}

func TestUTestPIsAProbability(t *testing.T) {
	// One run at the middle of ten: benchmath's two-sided p doubles a
	// tail that is over one half.
	base := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, cur := range [][]float64{{5.5}, {5}, {6}, {5, 6}} {
		p := uTest(base, cur, 0.02).P
		assert.LessOrEqual(t, p, 1.0, "cur %v", cur)
		assert.Greater(t, p, 0.5, "cur %v", cur)
	}
}

// A run at another -size than its baseline's is not compared: a run at
// -size 0.2 once reported a 23% improvement against the full-size one.
func TestCompareSkipsABaselineOfAnotherSize(t *testing.T) {
	full := stored(t, baseline.FromCase("s", "h", testFP, caseOf("s", gates(10, 100e-6, 80, 4000, 1000))), "s")
	small := caseOf("s", gates(10, 77e-6, 80, 4000, 1000)) // "23% better"

	rep := Compare(full, small, testFP, Options{Size: 0.2, ScenarioHash: "other"})
	assert.Empty(t, rep.Comparisons)
	require.Len(t, rep.Warnings, 1, "the size says it all; no scenario-hash warning on top")
	assert.Contains(t, rep.Warnings[0], full.File()+" was taken at -size 1 and this run at -size 0.2, so the comparison was skipped")
	assert.True(t, rep.Found)
	assert.False(t, Regressed(rep))

	// Old files (no size) and runs without -size are both full size.
	rep = Compare(full, small, testFP, Options{Size: 1})
	assert.NotEmpty(t, rep.Comparisons)
	// A baseline taken at the run's size is compared.
	full.Size = 0.2
	rep = Compare(full, small, testFP, Options{Size: 0.2})
	assert.NotEmpty(t, rep.Comparisons)
	// And the other way round: a full run against a scaled baseline.
	rep = Compare(full, small, testFP, Options{})
	assert.Empty(t, rep.Comparisons)
	assert.Contains(t, rep.Warnings[0], "taken at -size 0.2 and this run at -size 1")
}

func TestCompareWarnsOnceWhenTheScenarioChanged(t *testing.T) {
	base := stored(t, baseline.FromCase("s", "old", testFP, caseOf("s", gates(10, 100e-6, 80, 4000, 1000))), "s")
	rep := Compare(base, caseOf("s", gates(10, 100e-6, 80, 4000, 1000)), testFP, Options{ScenarioHash: "new"})
	var changed []string
	for _, w := range rep.Warnings {
		if strings.Contains(w, "scenario file changed") {
			changed = append(changed, w)
		}
	}
	require.Len(t, changed, 1)
	assert.Contains(t, changed[0], base.File())
}
