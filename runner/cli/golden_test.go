package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenHelpAndErrors pins what a user sees for help and for the
// usual mistakes: help on stdout with exit 0, one short error on a bad
// flag or command with a suggestion and where to look, exit 2.
func TestGoldenHelpAndErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"help", []string{"-h"}, nil},
		{"help-run", []string{"help", "run"}, nil},
		{"run-h", []string{"run", "-h"}, nil},
		{"main-job-h", []string{"-scenario", "x.yaml", "-h"}, nil},
		{"validate-h", []string{"validate", "-h"}, nil},
		{"baseline-h", []string{"baseline", "-h"}, nil},
		{"baseline-update-h", []string{"baseline", "update", "-h"}, nil},
		{"compare-h", []string{"compare", "-h"}, nil},
		{"sqs-h", []string{"sqs", "-h"}, nil},
		{"sqs-serve-h", []string{"sqs", "serve", "-h"}, nil},
		{"help-sqs-serve", []string{"help", "sqs", "serve"}, nil},
		{"monitor-h", []string{"monitor", "-h"}, nil},
		{"no-args", nil, nil},
		{"unknown-flag", []string{"run", "-sise", "0.2", "testdata/tiny.yaml"}, nil},
		{"unknown-flag-main-job", []string{"-scenario", "testdata/tiny.yaml", "-no-baselines"}, nil},
		{"bad-flag-value", []string{"run", "-size", "small", "testdata/tiny.yaml"}, nil},
		{"misspelled-command", []string{"vaildate", "scenarios"}, nil},
		{"help-misspelled", []string{"help", "moniter"}, nil},
		{"size-zero", []string{"run", "testdata/tiny.yaml", "-size", "0"}, nil},
		{"size-negative", []string{"run", "testdata/tiny.yaml", "-size", "-1"}, nil},
		{"size-infinite", []string{"run", "testdata/tiny.yaml", "-size", "+Inf"}, nil},
		{"repeats-zero", []string{"run", "-repeats", "0", "testdata/tiny.yaml"}, nil},
		{"confirm-negative", []string{"run", "-confirm", "-1", "testdata/tiny.yaml"}, nil},
		{"backend-unknown", []string{"run", "-backend", "embeded", "testdata/tiny.yaml"}, nil},
		{"baseline-unknown-sub", []string{"baseline", "refresh"}, nil},
		{"sqs-unknown-sub", []string{"sqs", "start"}, nil},
		{"compare-size-zero", []string{"compare", "-scenario", "testdata/tiny.yaml", "-against", "main", "-size", "0"}, nil},
		{"monitor-no-endpoint", []string{"monitor", "-once"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, tc.env, tc.args...)
			got := fmt.Sprintf("$ runner %q\nexit %d\n--- stdout\n%s--- stderr\n%s--- error\n", tc.args, exitcode.Of(err), stdout, stderr)
			if err != nil {
				got += "runner: " + err.Error() + "\n"
			}
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, rerr := os.ReadFile(path)
			require.NoError(t, rerr, "run 'go test ./runner/cli -run Golden -update' to create it")
			if got != string(want) {
				_ = os.WriteFile(path+".got", []byte(got), 0o644)
			}
			assert.Equal(t, string(want), got, "wrote %s.got; rerun with -update if the change is meant", path)
		})
	}
}

// Help goes to stdout with exit 0, and nothing but help is printed.
func TestHelpExitsZeroOnStdout(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"run", "-h"}, {"run", "--help"}, {"help", "run"},
		{"validate", "-h"}, {"baseline", "-h"}, {"baseline", "update", "-h"}, {"compare", "-h"},
		{"sqs", "-h"}, {"sqs", "serve", "-h"}, {"monitor", "-h"}, {"help", "monitor"}} {
		stdout, stderr, err := runCLI(t, nil, args...)
		require.NoError(t, err, "%q", args)
		assert.Contains(t, stdout, "usage: runner", "%q", args)
		assert.Empty(t, stderr, "%q", args)
	}
}

// Usage errors are checked before anything runs: no progress line, no
// backend, exit 2.
func TestFlagValuesCheckedBeforeAnythingRuns(t *testing.T) {
	for _, args := range [][]string{
		{"run", "testdata/tiny.yaml", "-size", "0"},
		{"run", "testdata/tiny.yaml", "-size", "-1"},
		{"run", "testdata/tiny.yaml", "-size", "NaN"},
		{"-scenario", "testdata/tiny.yaml", "-backend", "foo"},
		{"run", "testdata/tiny.yaml", "-repeats", "-2"},
		{"run", "testdata/tiny.yaml", "-confirm", "-1"},
		{"baseline", "update", "testdata/tiny.yaml", "-size", "0"},
	} {
		stdout, stderr, err := runCLI(t, nil, args...)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%q: %v", args, err)
		assert.Empty(t, stdout+stderr, "%q printed before failing", args)
	}
}

func TestParseFlagsAcceptsFlagsAfterFiles(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		size     float64
		verbose  bool
		wantArgs []string
	}{
		{[]string{"a.yaml", "-size", "0.2"}, 0.2, false, []string{"a.yaml"}},
		{[]string{"-v", "a.yaml", "b.yaml", "-size=3"}, 3, true, []string{"a.yaml", "b.yaml"}},
		{[]string{"a.yaml", "-v", "b.yaml"}, 1, true, []string{"a.yaml", "b.yaml"}},
		{[]string{"a.yaml", "--", "-size", "2"}, 1, false, []string{"a.yaml", "-size", "2"}},
		{nil, 1, false, []string{}},
	} {
		var stdout, stderr bytes.Buffer
		st := &State{Stdout: &stdout, Stderr: &stderr}
		fs := newFlagSet("run", "runner run", "")
		var f runFlags
		f.register(fs)
		require.NoError(t, parseFlags(st, fs, tc.args), "%q", tc.args)
		assert.Equal(t, tc.size, f.size, "%q", tc.args)
		assert.Equal(t, tc.verbose, f.verbose, "%q", tc.args)
		assert.Equal(t, tc.wantArgs, append([]string{}, fs.Args()...), "%q", tc.args)
	}
}
