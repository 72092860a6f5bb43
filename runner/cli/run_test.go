package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}
	err := Run(t.Context(), st, args)
	return stdout.String(), stderr.String(), err
}

func TestRunPassesExitsZeroAndWritesReports(t *testing.T) {
	out := t.TempDir()
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	stdout, stderr, err := runCLI(t, map[string]string{"GITHUB_STEP_SUMMARY": summary},
		"-scenario", "testdata/tiny.yaml", "-out", out, "-baselines", t.TempDir())
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, exitcode.OK, exitcode.Of(err))
	assert.Contains(t, stdout, "tiny: PASS")
	assert.Contains(t, stdout, "ok   lost == 0")
	assert.Contains(t, stdout, "runner baseline update -scenario testdata/tiny.yaml", "a missing baseline says how to create it")
	for _, f := range []string{"result.json", "summary.md", "report.html", "junit.xml"} {
		assert.FileExists(t, filepath.Join(out, "tiny", f))
	}
	step, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(step), "tiny", "the step summary is appended when GITHUB_STEP_SUMMARY is set")
}

func TestRunImpossibleThresholdExitsOne(t *testing.T) {
	stdout, _, err := runCLI(t, nil, "run", "-out", t.TempDir(), "-no-baseline", "../scenario/testdata/impossible.yaml")
	require.Error(t, err)
	assert.Equal(t, exitcode.Threshold, exitcode.Of(err))
	assert.Contains(t, stdout, "FAIL throughput > 1000000000/s")
	assert.Contains(t, err.Error(), "impossible (fail)")
}

func TestRunMalformedExitsTwoNamingTheLine(t *testing.T) {
	_, _, err := runCLI(t, nil, "-scenario", "../scenario/testdata/malformed.yaml")
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Regexp(t, `malformed\.yaml:\d+:\d+`, err.Error())
}

func TestRunUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no scenario":      {"run"},
		"bad flag":         {"-scenario", "testdata/tiny.yaml", "-no-such-flag"},
		"missing file":     {"-scenario", "testdata/does-not-exist.yaml"},
		"unknown cmd":      {"frobnicate"},
		"no args":          {},
		"bad baseline":     {"baseline", "refresh"},
		"empty update":     {"baseline", "update"},
		"load-only update": {"baseline", "update", "-load-only", "-jobs-queue-url", "http://127.0.0.1:1/0/j", "-tasks-queue-url", "http://127.0.0.1:1/0/t", "-dlq-url", "http://127.0.0.1:1/0/d", "-scenario", "testdata/tiny.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCLI(t, nil, args...)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
		})
	}
}

func TestBaselineUpdateWritesAndThenCompares(t *testing.T) {
	dir := t.TempDir()
	out := t.TempDir()
	stdout, stderr, err := runCLI(t, nil, "baseline", "update", "-scenario", "testdata/tiny.yaml", "-repeats", "2", "-baselines", dir, "-out", out)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "wrote "+filepath.Join(dir, "tiny.json"))

	stdout, _, err = runCLI(t, nil, "-scenario", "testdata/tiny.yaml", "-repeats", "2", "-baselines", dir, "-out", out)
	require.NoError(t, err)
	assert.NotContains(t, stdout, "no baseline at")
	data, err := os.ReadFile(filepath.Join(out, "tiny", "result.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"comparisons"`)
}

func TestBaselineUpdateRefusesAFailingRun(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runCLI(t, nil, "baseline", "update", "-scenario", "../scenario/testdata/impossible.yaml", "-baselines", dir, "-out", t.TempDir())
	require.Error(t, err)
	assert.Equal(t, exitcode.Threshold, exitcode.Of(err))
	assert.Contains(t, err.Error(), "not writing a baseline")
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries, "no baseline file may be written from a failing run")
}

func TestRunRegressionExitsThree(t *testing.T) {
	dir := t.TempDir()
	out := t.TempDir()
	// Six repeats per side: the fewest with which a Mann-Whitney test can
	// reach significance over the gated metrics after Holm's correction.
	_, stderr, err := runCLI(t, nil, "baseline", "update", "-scenario", "testdata/tiny.yaml", "-repeats", "6", "-baselines", dir, "-out", out)
	require.NoError(t, err, stderr)
	stdout, _, err := runCLI(t, nil, "-scenario", "testdata/tiny-heavier.yaml", "-repeats", "6", "-baselines", dir, "-out", out)
	require.Error(t, err, stdout)
	assert.Equal(t, exitcode.Regression, exitcode.Of(err), "stdout:\n%s", stdout)
	// The heavier handler allocates more per task in the service's own code:
	// judged on any machine, where the whole process's bytes are information.
	assert.Contains(t, stdout, "REGRESSION alloc.own.bytes_per_message")
	assert.Contains(t, err.Error(), "tiny (regression)")
}
