package runner_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// TestVerdictRates measures, on real runs of this machine, how often the
// baseline verdict cries wolf (A/A) and how often it catches an injected
// regression (A/B): 15% more CPU per task, and a handler that allocates
// twice as much. It pools real runs per variant, then draws many
// comparisons of disjoint random subsets (RecommendedRepeats per side):
// the noise is the machine's own, not a model's. It takes a few minutes,
// so it runs only when asked:
//
//	SQSPERF_VERDICT_RATES=1 go test -run TestVerdictRates -v -timeout 30m ./runner
//
// SQSPERF_VERDICT_POOL sets the runs per variant (default 30).
func TestVerdictRates(t *testing.T) {
	if os.Getenv("SQSPERF_VERDICT_RATES") == "" {
		t.Skip("set SQSPERF_VERDICT_RATES=1 to measure the verdict's false-alarm and detection rates (minutes)")
	}
	pool := 30
	if s := os.Getenv("SQSPERF_VERDICT_POOL"); s != "" {
		var err error
		pool, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	base, err := scenario.Load("testdata/rates.yaml")
	require.NoError(t, err)
	slower := base.Clone()
	slower.Service.Task.CPU = base.Service.Task.CPU * 115 / 100
	heavier := base.Clone()
	heavier.Service.Task.Alloc = base.Service.Task.Alloc * 2

	// Interleave the variants so that a machine getting busier or quieter
	// during the measurement favours none of them.
	variants := []*scenario.Scenario{base, slower, heavier}
	runs := make([][]result.Run, len(variants))
	for i := 0; i < pool; i++ {
		for v, sc := range variants {
			res, err := runner.Run(t.Context(), sc, runner.Options{Repeats: 1})
			require.NoError(t, err)
			runs[v] = append(runs[v], res.Cases[0].Runs[0])
		}
	}

	n := verdict.RecommendedRepeats
	require.GreaterOrEqual(t, pool, 2*n, "the pool must hold two disjoint sides of %d runs", n)
	fp := fingerprint.Current("embedded")
	rnd := rand.New(rand.NewPCG(1, 2))
	const comparisons = 500
	rate := func(baseRuns, curRuns []result.Run, disjoint bool) float64 {
		flagged := 0
		for i := 0; i < comparisons; i++ {
			perm := rnd.Perm(len(baseRuns))
			b := pick(baseRuns, perm[:n])
			var c []result.Run
			if disjoint {
				c = pick(baseRuns, perm[n:2*n])
			} else {
				c = pick(curRuns, rnd.Perm(len(curRuns))[:n])
			}
			bl := baseline.FromCase("rates", "", fp, result.Case{Name: "rates", Runs: b})
			rep := verdict.Compare(bl, result.Case{Name: "rates", Runs: c}, fp, verdict.Options{})
			if verdict.Regressed(rep) {
				flagged++
			}
		}
		return float64(flagged) / comparisons
	}
	aa := rate(runs[0], nil, true)
	cpu := rate(runs[0], runs[1], false)
	alloc := rate(runs[0], runs[2], false)
	t.Logf("pool %d runs per variant, %d comparisons of %d vs %d runs each", pool, comparisons, n, n)
	t.Logf("A/A false alarms:             %5.1f%%", aa*100)
	t.Logf("A/B +15%% CPU per task found:  %5.1f%%", cpu*100)
	t.Logf("A/B 2x allocation found:      %5.1f%%", alloc*100)
	for name, v := range map[string][]result.Run{"base": runs[0], "cpu+15%": runs[1], "alloc x2": runs[2]} {
		c := result.Case{Runs: v}
		t.Logf("%-9s cpu.per_message median %.1fus  alloc.bytes_per_message median %.0f", name,
			median(c.Samples("cpu.per_message"))*1e6, median(c.Samples("alloc.bytes_per_message")))
	}
	assert.LessOrEqual(t, aa, 0.01, "A/A: at most 1 false alarm in 100 comparisons")
	assert.GreaterOrEqual(t, alloc, 0.9, "A/B: twice the allocation must be found 9 times in 10")
	assert.GreaterOrEqual(t, cpu, 0.9, "A/B: 15% more CPU per task must be found 9 times in 10")
}

func pick(runs []result.Run, idx []int) []result.Run {
	out := make([]result.Run, len(idx))
	for i, j := range idx {
		out[i] = runs[j]
	}
	return out
}
