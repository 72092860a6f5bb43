package runner

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqsperf/sqsperf/runner/result"
)

func TestSuspectNamesNearMissesInTheBadDirectionOnly(t *testing.T) {
	res := &result.Scenario{Baseline: &result.BaselineReport{Comparisons: []result.Comparison{
		// Far from significant after Holm's correction, close before it:
		// a near miss (the real +10% of a round hit by a neighbour's burst).
		{Case: "s", Metric: "cpu.per_message", Change: 0.10, Tolerance: 0.05, P: 0.94, PUncorrected: 0.077, Verdict: result.Unchanged},
		{Case: "s", Metric: "throughput", Change: 0.30, Tolerance: 0.2, P: 0.01, PUncorrected: 0.001, Verdict: result.Unchanged},         // better
		{Case: "s", Metric: "alloc.per_message", Change: 0.03, Tolerance: 0.05, P: 0.01, PUncorrected: 0.001, Verdict: result.Unchanged}, // within tolerance
		{Case: "s", Metric: "alloc.bytes_per_message", Change: 0.2, Tolerance: 0.05, P: 1, PUncorrected: 0.3, Verdict: result.Unchanged}, // far from significant
		{Case: "s", Metric: "alloc.own.per_message", Change: 0.2, Tolerance: 0.1, P: 1, Verdict: result.Unchanged},                       // not tested (same value everywhere)
		{Case: "s", Metric: "sqs.requests", Change: 0.5, Tolerance: 0.25, P: 0.001, PUncorrected: 0.0001, Verdict: result.Regression},    // already flagged
	}}}
	assert.Equal(t, "cpu.per_message [s] +10.0% p=0.077 (uncorrected)", suspect(res))
	assert.Empty(t, suspect(&result.Scenario{}))
}
