package sqsbackend_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found")
		dir = parent
	}
}

// TestSuiteAgainstSQSServeInAnotherProcess is the endpoint backend as a
// user meets it: 'runner sqs serve' in one process, the whole scenario
// suite in another with -backend endpoint. At a tenth of the size some
// thresholds are out of reach, so a threshold failure (exit 1) is
// accepted; a usage or environment failure is not. Every scenario must
// leave its four reports and no queue behind.
func TestSuiteAgainstSQSServeInAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner and runs the suite: skipped in -short mode")
	}
	root := moduleRoot(t)
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	bin := filepath.Join(t.TempDir(), "runner")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./runner/cmd/runner")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the runner: %s", out)

	serve := exec.CommandContext(ctx, bin, "sqs", "serve", "-addr", "127.0.0.1:0")
	stdout, err := serve.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, serve.Start())
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
	})
	endpoint := ""
	lines := bufio.NewScanner(stdout)
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
	for endpoint == "" && lines.Scan() {
		endpoint = urlRE.FindString(lines.Text())
	}
	require.NotEmpty(t, endpoint, "runner sqs serve printed no endpoint")
	go func() { // keep draining so the server never blocks on a full pipe
		for lines.Scan() {
		}
	}()

	scenarios, err := filepath.Glob(filepath.Join(root, "scenarios", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, scenarios)
	outDir := t.TempDir()
	args := append([]string{"run", "-backend", "endpoint", "-endpoint", endpoint, "-size", "0.1", "-no-baseline", "-out", outDir}, scenarios...)
	run := exec.CommandContext(ctx, bin, args...)
	run.Dir = root
	run.Env = append(os.Environ(), "CI=true", "GITHUB_STEP_SUMMARY=")
	log, err := run.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.Contains(t, []int{int(exitcode.OK), int(exitcode.Threshold)}, code, "runner exited %d:\n%s", code, log)

	for _, sc := range scenarios {
		name := filepath.Base(sc)
		name = name[:len(name)-len(filepath.Ext(name))]
		dir, err := report.ScenarioDir(outDir, name)
		require.NoError(t, err)
		for _, f := range []string{report.JSONFile, report.MarkdownFile, report.HTMLFile, report.JUnitFile} {
			assert.FileExists(t, filepath.Join(dir, f))
		}
	}

	client := sqsemu.NewClient(endpoint, sqsemu.DefaultRegion)
	left, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
	require.NoError(t, err)
	assert.Empty(t, left.QueueUrls, "the endpoint backend deletes every queue it created")
}
