package verdict

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqsperf/sqsperf/runner/baseline"
)

// The report draws each gated metric's baseline and current samples side
// by side; Compare is where they are known, so it must hand them on.
func TestCompareCarriesBothSidesSamples(t *testing.T) {
	base := baseline.FromCase("s", "", testFP, caseOf("s", gates(8, 100e-6, 80, 8000, 1000)))
	cur := caseOf("s", gates(8, 120e-6, 80, 8000, 1000))
	cpu := byMetric(t, Compare(base, cur, testFP, Options{}))["cpu.per_message"]
	assert.Equal(t, spread(100e-6, 8), cpu.BaselineSamples)
	assert.Equal(t, spread(120e-6, 8), cpu.CurrentSamples)

	// A copy, not the baseline's own slice: a consumer that sorts the
	// samples for a chart must not reorder the stored baseline.
	cpu.BaselineSamples[0] = -1
	assert.Equal(t, spread(100e-6, 8), base.Samples["cpu.per_message"])
}
