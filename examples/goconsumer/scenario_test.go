package goconsumer

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
)

// TestScenarioRunsTheGoConsumer runs scenarios/stress.yaml through the
// runner at a fifth of its size: `go run ./examples/goconsumer/cmd/goconsumer`
// as an external program the runner knows nothing of, accounted for from
// the SQS server's view and measured as a process tree.
func TestScenarioRunsTheGoConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs the consumer as a program: skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: the scenario runs the consumer with go run")
	}
	harness.CheckScenario(t, filepath.Join("scenarios", "stress.yaml"), "goconsumer")
}
