package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func runValidate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	st := &State{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	err = Run(t.Context(), st, append([]string{"validate"}, args...))
	return out.String(), errOut.String(), err
}

func TestValidateSuite(t *testing.T) {
	stdout, stderr, err := runValidate(t, "../../scenarios/stress.yaml", "../../scenarios/scalability.yaml")
	require.NoError(t, err, stderr)
	assert.Equal(t, "ok ../../scenarios/stress.yaml (1 case)\nok ../../scenarios/scalability.yaml (3 cases)\n", stdout)
	assert.Empty(t, stderr)
}

func TestValidateDirectory(t *testing.T) {
	stdout, stderr, err := runValidate(t, "../../scenarios")
	require.NoError(t, err, stderr)
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	assert.Equal(t, len(files), strings.Count(stdout, "\nok ")+1, stdout)
	assert.Contains(t, stdout, "ok ../../scenarios/blocking.yaml (1 case)\n")
}

func TestValidateMalformedNamesEveryLine(t *testing.T) {
	const bad = "../scenario/testdata/malformed.yaml"
	stdout, stderr, err := runValidate(t, "../../scenarios/capacity.yaml", bad, "missing.yaml")
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Equal(t, "2 scenario files of 3 invalid: fix the problems listed above", err.Error())
	assert.Equal(t, "ok ../../scenarios/capacity.yaml (1 case)\n", stdout, "good files are still reported")
	assert.Equal(t, bad+":5:3: service.wokers: unknown key: did you mean workers?\n"+
		bad+":6:3: service.max_queue_size: must be between 1 and 1000000, got 0\n"+
		bad+":9:3: load.rate: 50 has no unit: write a rate such as 50/s or 50/min\n"+
		bad+":11:9: thresholds[0]: p99(stage.proces) < 50ms: unknown metric stage.proces: did you mean stage.process?\n"+
		"missing.yaml: cannot read the scenario: no such file or directory\n", stderr)
}

func TestValidateImpossibleThresholdIsValid(t *testing.T) {
	stdout, _, err := runValidate(t, "../scenario/testdata/impossible.yaml")
	require.NoError(t, err)
	assert.Equal(t, "ok ../scenario/testdata/impossible.yaml (1 case)\n", stdout)
}

func TestValidateUsage(t *testing.T) {
	_, stderr, err := runValidate(t)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "name at least one scenario file")
	assert.Contains(t, stderr, "usage: runner validate")

	_, _, err = runValidate(t, "-nope")
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))

	empty := t.TempDir()
	_, _, err = runValidate(t, empty)
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), "holds no .yaml files")
}

func TestValidateStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("name: a\n"), 0o644))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errOut bytes.Buffer
	err := Run(ctx, &State{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, []string{"validate", dir})
	require.Error(t, err)
	assert.Empty(t, out.String())
}
