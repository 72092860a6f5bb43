package diagnose

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

// testdata/stress-result.json is a real result of
//
//	go run ./runner/cmd/runner -scenario scenarios/stress.yaml -repeats 1 -no-baseline -out /tmp/rep
//
// on a shared 2-core machine. Its numbers cross the backpressure bound
// (tasks wait 133ms for a worker, run 10ms), the I/O bounds (CPU 13%
// busy, 97% of a task off CPU) and, on that busy machine, the GC pause
// bound. The old rules reported three findings side by side, among them
// "queue too long" beside queue.depth.max = 0 and "mostly idle".
func stressRun(t *testing.T) (result.Run, Context) {
	t.Helper()
	raw, err := os.ReadFile("testdata/stress-result.json")
	require.NoError(t, err)
	var s result.Scenario
	require.NoError(t, json.Unmarshal(raw, &s))
	require.Len(t, s.Cases, 1)
	require.Len(t, s.Cases[0].Runs, 1)
	// The scenario's pool: 8 workers on a 2-core machine (environment).
	return s.Cases[0].Runs[0], Context{GOMAXPROCS: 2, Workers: 8}
}

func TestStressRunGetsOnePrimaryFinding(t *testing.T) {
	run, c := stressRun(t)
	fs := Diagnose(run.Metrics, run.Batches, c)
	require.Len(t, fs, 1)
	assert.Equal(t, GC, fs[0].Category, "50ms GC pauses over 17 cycles explain the waits")
	assert.Contains(t, fs[0].Evidence[0], "gc.pause.p99 = 50.33ms")
	assert.Contains(t, strings.Join(fs[0].Advice, " "), "add profile: {heap: true}",
		"the scenario took no heap profile, so the advice says how to take one")
}

// The case: the same run where the GC stayed within bounds and
// the SQS depth, sampled once a second, read 0.
func TestStressRunWithoutGCIsOneBackpressureFindingWithoutContradiction(t *testing.T) {
	run, c := stressRun(t)
	m := map[string]float64{}
	for k, v := range run.Metrics {
		m[k] = v
	}
	m["gc.pause.p99"] = 0.002
	m["queue.depth.max"] = 0
	fs := Diagnose(m, run.Batches, c)
	require.Len(t, fs, 1, "one finding, not backpressure beside io")
	f := fs[0]
	assert.Equal(t, Backpressure, f.Category)
	assert.Contains(t, f.Summary, "while the CPU idles")
	text := strings.Join(f.Evidence, "\n")
	assert.NotContains(t, text, "queue.depth.max = 0")
	assert.Contains(t, text, "stage.dispatch_wait.p50 = 133.17ms")
	assert.Contains(t, text, "off-CPU share of processing")
	assert.Contains(t, f.Advice[0], "add workers")
	assert.NotContains(t, strings.Join(f.Advice, " "), "heap profile")
}
