package service

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

func TestMain(m *testing.M) {
	// The runner runs the embedded SQS server as a child process of this
	// test binary.
	sqsbackend.ServeChildIfRequested()
	goleak.VerifyTestMain(m)
}

// TestScenarioRunsTheServiceAsAProgram runs every file in scenarios/
// through the runner at a fifth of its size: `go run ./service/cmd/service`
// as an external program, accounted for from the SQS server's view and
// measured as a process tree, like the examples.
func TestScenarioRunsTheServiceAsAProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs the service as a program: skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: the scenario runs the service with go run")
	}
	files, err := filepath.Glob(filepath.Join("scenarios", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { harness.CheckScenario(t, f, "service") })
	}
}
