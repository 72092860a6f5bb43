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

// A time-based threshold no run can meet fails the scenario, unless time
// is declared not representative (TimeAsInfo, used under -race): then it
// is reported with its observed value but does not fail, while the
// accounting thresholds still judge.
func TestJudgeTimeAsInfo(t *testing.T) {
	sc, err := scenario.Load("scenario/testdata/impossible.yaml")
	require.NoError(t, err)
	res, err := runner.Run(t.Context(), sc, runner.Options{})
	require.NoError(t, err)

	assert.Equal(t, exitcode.Threshold, runner.Judge(res, sc, runner.JudgeOptions{}))
	assert.Equal(t, result.VerdictFail, res.Verdict)

	assert.Equal(t, exitcode.OK, runner.Judge(res, sc, runner.JudgeOptions{TimeAsInfo: true}))
	var throughput, lost *result.ThresholdResult
	for i, th := range res.Thresholds {
		switch th.Expr {
		case "throughput > 1000000000/s":
			throughput = &res.Thresholds[i]
		case "lost == 0":
			lost = &res.Thresholds[i]
		}
	}
	require.NotNil(t, throughput)
	require.NotNil(t, lost)
	assert.False(t, throughput.Pass, "the observed value is still compared and reported")
	assert.True(t, throughput.Info)
	assert.False(t, lost.Info, "accounting is judged whatever the timing")

	// An accounting breach still fails with TimeAsInfo.
	res.Cases[0].Runs[0].Metrics["lost"] = 3
	assert.Equal(t, exitcode.Threshold, runner.Judge(res, sc, runner.JudgeOptions{TimeAsInfo: true}))
}
