package nodeexample

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// TestScenarioRunsTheNodeExample runs scenarios/stress.yaml through the
// runner as CI does (`runner -scenario examples/node/scenarios/stress.yaml`),
// at a fifth of its size: the runner starts `node index.js`, accounts for
// every message from the SQS server's view and measures the process tree.
func TestScenarioRunsTheNodeExample(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js 20 or later to run the Node example's scenarios")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "sqs-consumer")); err != nil {
		t.Skip("the Node example's packages are not installed: run examples/node/install.sh (npm ci) to enable this test")
	}
	sc, err := scenario.Load(filepath.Join("scenarios", "stress.yaml"))
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
	t.Logf("node: cpu.per_message %.0fµs, rss %.0f MiB, %v threads, start-up %.0fms, throughput %.0f/s",
		run.Metrics["cpu.per_message"]*1e6, run.Metrics["process.rss.peak"]/(1<<20), run.Metrics["process.threads.max"],
		run.Metrics["process.startup"]*1e3, run.Metrics["throughput"])
	assert.Equal(t, 0, int(code), "verdict %s: %+v", res.Verdict, res.Thresholds)
}
