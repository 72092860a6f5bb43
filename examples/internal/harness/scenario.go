package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// scenarioSize is the size CheckScenario runs a scenario at.
const scenarioSize = 0.2

// CheckScenario runs the scenario file through the runner as CI does, at
// a fifth of its size (repeat 1, time thresholds as information, since
// a shared CI machine's timing proves nothing), and checks, for every
// case of its matrix, that the load sent the scenario's jobs scaled to
// that size, that the SQS server saw every message processed (or, where
// the scenario injects failures, dead-lettered) and none lost, that the
// external consumer's process tree was measured, and that the verdict
// passes. name labels the logged measurements.
func CheckScenario(t *testing.T, file, name string) {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	cases, err := sc.Scale(scenarioSize).Cases()
	require.NoError(t, err)
	res, code, err := runner.RunAndJudge(t.Context(), sc, runner.Options{Size: scenarioSize, Repeats: 1, ProfileDir: t.TempDir()}, runner.JudgeOptions{TimeAsInfo: true})
	require.NoError(t, err)
	require.Len(t, res.Cases, len(cases), "one result per case of the matrix")
	for i, c := range cases {
		rc := res.Cases[i]
		require.Equal(t, c.Name, rc.Name)
		require.Len(t, rc.Runs, 1, "%s: one repeat", c.Name)
		run := rc.Runs[0]
		require.Empty(t, run.Errors, c.Name)
		require.NotNil(t, run.Server, "%s: the server view: %v", c.Name, run.Warnings)
		assert.Zero(t, run.Server.Lost, "%s: lost ids: %v", c.Name, run.Server.LostIDs)
		assert.Zero(t, run.Server.InFlight, "%s: messages held after the consumer stopped", c.Name)
		// Only injected failures may end on the dead-letter queue.
		if !injectsFailures(c.Scenario) {
			assert.Zero(t, run.Server.DeadLettered, "%s: dead-lettered without injected failures", c.Name)
		}
		assert.Equal(t, run.Server.Sent, run.Server.Processed+run.Server.DeadLettered, "%s: every message sent processed or dead-lettered", c.Name)
		assert.Equal(t, c.Scenario.Load.Jobs, run.Accounting.JobsSent, "%s: jobs sent at size %v", c.Name, scenarioSize)
		for _, key := range []string{metric.CPUPerMessage, metric.ProcessRSSPeak, metric.ProcessThreadsMax, metric.ProcessStartup} {
			assert.Positive(t, run.Metrics[key], "%s: %s must be measured", c.Name, key)
		}
		t.Logf("%s %s: cpu.per_message %.0fµs, rss %.0f MiB, %v threads, start-up %.0fms, throughput %.0f/s", name, c.Name,
			run.Metrics[metric.CPUPerMessage]*1e6, run.Metrics[metric.ProcessRSSPeak]/(1<<20), run.Metrics[metric.ProcessThreadsMax],
			run.Metrics[metric.ProcessStartup]*1e3, run.Metrics[metric.Throughput])
	}
	assert.Equal(t, 0, int(code), "verdict %s: %+v", res.Verdict, res.Thresholds)
}

// injectsFailures reports whether the scenario makes task attempts fail:
// the built-in service's failure_rate, or FAILURE_RATE in an external
// consumer's environment (the examples' name for it).
func injectsFailures(sc *scenario.Scenario) bool {
	if sc.Service.FailureRate > 0 {
		return true
	}
	v, ok := sc.Service.Command.Env["FAILURE_RATE"]
	return ok && v != "" && v != "0" && v != "0%"
}
