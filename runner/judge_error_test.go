package runner_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// An error is an error: a time-based threshold that could not be
// evaluated (its metric was not measured) fails the scenario even when
// TimeAsInfo makes time-based thresholds reported only. Unrepresentative
// timing excuses a value outside its bound, not a value nobody measured.
func TestJudgeThresholdErrorFailsEvenAsInfo(t *testing.T) {
	sc, err := scenario.Load("scenario/testdata/impossible.yaml")
	require.NoError(t, err)
	// "lost" is measured and holds; "throughput" is missing, so its
	// threshold cannot be evaluated.
	res := &result.Scenario{Name: sc.Name, Cases: []result.Case{{
		Name: sc.Name,
		Runs: []result.Run{{Repeat: 1, Metrics: map[string]float64{"lost": 0}}},
	}}}

	for _, opt := range []runner.JudgeOptions{{}, {TimeAsInfo: true}} {
		assert.Equal(t, exitcode.Threshold, runner.Judge(res, sc, opt), "TimeAsInfo=%v", opt.TimeAsInfo)
		assert.Equal(t, result.VerdictFail, res.Verdict)
		var throughput *result.ThresholdResult
		for i := range res.Thresholds {
			if res.Thresholds[i].Expr == "throughput > 1000000000/s" {
				throughput = &res.Thresholds[i]
			}
		}
		require.NotNil(t, throughput)
		assert.NotEmpty(t, throughput.Error)
		assert.False(t, throughput.Info, "an unevaluated threshold is not 'reported only': there is nothing to report")
		assert.True(t, throughput.Failed())
	}
}
