package nodeexample

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
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
	harness.CheckScenario(t, filepath.Join("scenarios", "stress.yaml"), "node")
}
