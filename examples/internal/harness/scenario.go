package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// CheckScenario runs the scenario file through the runner as CI does, at
// a fifth of its size (repeat 1, time thresholds as information, since
// a shared CI machine's timing proves nothing), and checks that the SQS
// server saw every message processed, that the external consumer's
// process tree was measured, and that the verdict passes. name labels
// the logged measurements.
func CheckScenario(t *testing.T, file, name string) {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	res, code, err := runner.RunAndJudge(t.Context(), sc, runner.Options{Size: 0.2, Repeats: 1, ProfileDir: t.TempDir()}, runner.JudgeOptions{TimeAsInfo: true})
	require.NoError(t, err)
	run := res.Cases[0].Runs[0]
	require.Empty(t, run.Errors)
	require.NotNil(t, run.Server, "the server view: %v", run.Warnings)
	assert.Zero(t, run.Server.Lost, "lost ids: %v", run.Server.LostIDs)
	assert.Equal(t, run.Server.Sent, run.Server.Processed)
	assert.Equal(t, 100, run.Accounting.JobsSent)
	for _, key := range []string{"cpu.per_message", "process.rss.peak", "process.threads.max", "process.startup"} {
		assert.Positive(t, run.Metrics[key], "%s must be measured", key)
	}
	t.Logf("%s: cpu.per_message %.0fµs, rss %.0f MiB, %v threads, start-up %.0fms, throughput %.0f/s", name,
		run.Metrics["cpu.per_message"]*1e6, run.Metrics["process.rss.peak"]/(1<<20), run.Metrics["process.threads.max"],
		run.Metrics["process.startup"]*1e3, run.Metrics["throughput"])
	assert.Equal(t, 0, int(code), "verdict %s: %+v", res.Verdict, res.Thresholds)
}
