package runner

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqsperf/sqsperf/runner/result"
)

func TestSuspectNamesNearMissesInTheBadDirectionOnly(t *testing.T) {
	res := &result.Scenario{Baseline: &result.BaselineReport{Comparisons: []result.Comparison{
		{Case: "s", Metric: "cpu.per_message", Change: 0.133, Tolerance: 0.05, P: 0.023, Verdict: result.Unchanged},
		{Case: "s", Metric: "throughput", Change: 0.30, Tolerance: 0.2, P: 0.01, Verdict: result.Unchanged},             // better
		{Case: "s", Metric: "alloc.per_message", Change: 0.03, Tolerance: 0.05, P: 0.01, Verdict: result.Unchanged},     // within tolerance
		{Case: "s", Metric: "alloc.bytes_per_message", Change: 0.2, Tolerance: 0.05, P: 0.5, Verdict: result.Unchanged}, // far from significant
		{Case: "s", Metric: "sqs.requests", Change: 0.5, Tolerance: 0.25, P: 0.001, Verdict: result.Regression},         // already flagged
	}}}
	assert.Equal(t, "cpu.per_message [s] +13.3% p=0.023", suspect(res))
	assert.Empty(t, suspect(&result.Scenario{}))
}
