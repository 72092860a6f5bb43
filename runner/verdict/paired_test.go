package verdict

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/baseline"
)

// The samples of a real comparison on a loaded machine (cpu.per_message,
// µs, round by round): the rounds drift by 30% together while B is +12%
// to +18% above A in every round. The pooled U test cannot see it; the
// paired test must.
func TestPairedTestSeesAShiftInsideTheDrift(t *testing.T) {
	a := []float64{315, 300, 386, 364, 399, 389, 361, 363}
	b := []float64{352, 354, 440, 406, 430, 420, 431, 422}
	p, change, ok := pairedLogTest(a, b)
	require.True(t, ok)
	assert.Less(t, p, 0.0001)
	assert.InDelta(t, 0.12, change, 0.02)
	assert.Greater(t, uTest(a, b, DefaultAlpha).P, 0.02, "the pooled test cannot separate these")

	// The same rounds with no change: the drift alone is not a change.
	same := []float64{318, 297, 390, 360, 401, 385, 364, 360}
	p, _, ok = pairedLogTest(a, same)
	require.True(t, ok)
	assert.Greater(t, p, 0.1)
}

func TestPairedTestRefusesWhatCannotBePaired(t *testing.T) {
	for name, c := range map[string][2][]float64{
		"unequal":  {{1, 2, 3, 4}, {1, 2, 3}},
		"too few":  {{1, 2, 3}, {1, 2, 3}},
		"zero":     {{0, 2, 3, 4}, {1, 2, 3, 4}},
		"negative": {{1, 2, 3, 4}, {1, -2, 3, 4}},
	} {
		_, _, ok := pairedLogTest(c[0], c[1])
		assert.False(t, ok, name)
	}
	p, change, ok := pairedLogTest([]float64{1, 2, 3, 4}, []float64{1.1, 2.2, 3.3, 4.4})
	require.True(t, ok, "identical ratios")
	assert.Equal(t, 0.0, p)
	assert.InDelta(t, 0.1, change, 1e-9)
}

// In Compare, Paired judges by rounds: the drifting +12% is a regression
// with eight rounds, where the pooled test says unchanged.
func TestComparePairedFlagsWhatThePooledTestMisses(t *testing.T) {
	a := []float64{315e-6, 300e-6, 386e-6, 364e-6, 399e-6, 389e-6, 361e-6, 363e-6}
	b := []float64{352e-6, 354e-6, 440e-6, 406e-6, 430e-6, 420e-6, 431e-6, 422e-6}
	base := baseline.FromCase("s", "h", testFP, caseOf("s", map[string][]float64{"cpu.per_message": a}))
	cur := caseOf("s", map[string][]float64{"cpu.per_message": b})
	opt := Options{Metrics: []string{"cpu.per_message"}, Tolerance: map[string]float64{"cpu.per_message": 0.05}}
	pooled := Compare(base, cur, testFP, opt)
	require.Len(t, pooled.Comparisons, 1)
	assert.Equal(t, Unchanged, pooled.Comparisons[0].Verdict)
	opt.Paired = true
	paired := Compare(base, cur, testFP, opt)
	require.Len(t, paired.Comparisons, 1)
	assert.Equal(t, Regression, paired.Comparisons[0].Verdict, paired.Comparisons[0].Note)
}
