package goconsumer

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
)

// TestScenarioRunsTheGoConsumer runs every file in scenarios/ through
// the runner at a fifth of its size: `go run ./examples/goconsumer/cmd/goconsumer`
// as an external program the runner knows nothing of, accounted for from
// the SQS server's view and measured as a process tree.
func TestScenarioRunsTheGoConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs the consumer as a program: skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: the scenario runs the consumer with go run")
	}
	files, err := filepath.Glob(filepath.Join("scenarios", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { harness.CheckScenario(t, f, "goconsumer") })
	}
}
