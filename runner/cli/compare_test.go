package cli

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/abtest/abtesttest"
	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func runCompare(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := Run(t.Context(), st, append([]string{"compare"}, args...))
	return stdout.String(), stderr.String(), err
}

func TestCompareExitsThreeOnARegression(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetCost("140e-6")
	out := filepath.Join(t.TempDir(), "ab")
	stdout, stderr, err := runCompare(t, "-repo", repo.Dir, "-scenario", filepath.Join(repo.Dir, "scenarios/fake.yaml"),
		"-against", "HEAD", "-rounds", "5", "-out", out)
	require.Error(t, err)
	assert.Equal(t, exitcode.Regression, exitcode.Of(err), err.Error())
	assert.Contains(t, stdout, "cpu.per_message")
	assert.Contains(t, stdout, "regression")
	assert.Contains(t, stderr, "round 5/5")
	assert.FileExists(t, filepath.Join(out, "A.txt"))
	assert.Equal(t, 1, repo.Worktrees())
}

func TestCompareSameCodePasses(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	_, _, err := runCompare(t, "-repo", repo.Dir, "-scenario", filepath.Join(repo.Dir, "scenarios/fake.yaml"),
		"-against", "main", "-rounds", "5", "-out", t.TempDir())
	assert.NoError(t, err)
}

func TestCompareUsageErrors(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	scenario := filepath.Join(repo.Dir, "scenarios/fake.yaml")
	for name, args := range map[string][]string{
		"no flags":         {},
		"no revision":      {"-scenario", scenario},
		"no scenario":      {"-against", "HEAD"},
		"unknown flag":     {"-bogus"},
		"unknown revision": {"-repo", repo.Dir, "-scenario", scenario, "-against", "nope"},
		"missing scenario": {"-repo", repo.Dir, "-scenario", filepath.Join(repo.Dir, "none.yaml"), "-against", "HEAD"},
		"two scenarios":    {"-against", "HEAD", "a.yaml", "b.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCompare(t, args...)
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), err.Error())
		})
	}
}
