package nodeexample

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
)

// guideScenarios are the original guide's seven scenarios, as the Node
// example's files in scenarios/ (README.md lists them).
var guideScenarios = []string{
	"blocking.yaml",    // 1: no main-thread blocking
	"scalability.yaml", // 2: worker pool scalability
	"stress.yaml",      // 3: stress
	"memory.yaml",      // 4: memory over time
	"concurrent.yaml",  // 5: concurrent jobs
	"errors.yaml",      // 6: error handling
	"capacity.yaml",    // 7: pool capacity
}

// TestScenarioRunsTheNodeExample runs every file in scenarios/ through
// the runner as CI does (`runner -scenario examples/node/scenarios/FILE`),
// one subtest per file, at a fifth of its size: the runner starts
// `node index.js`, accounts for every message from the SQS server's view
// and measures the process tree.
func TestScenarioRunsTheNodeExample(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("scenarios", "*.yaml"))
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	require.ElementsMatch(t, guideScenarios, names, "scenarios/ holds the guide's seven scenarios")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js 20 or later to run the Node example's scenarios")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "sqs-consumer")); err != nil {
		t.Skip("the Node example's packages are not installed: run examples/node/install.sh (npm ci) to enable this test")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			harness.CheckScenario(t, f, "node")
		})
	}
}
