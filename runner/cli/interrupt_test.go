package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/result"
)

// cancelOn cancels a context the first time its text is written.
type cancelOn struct {
	syncbuf.Buffer
	text   string
	once   sync.Once
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.Buffer.String(), c.text) {
		c.once.Do(c.cancel)
	}
	return n, err
}

// TestRunInterruptedWritesWhatWasMeasured: a signal during the load (the
// context cancelled) ends the run with exit 4, and the reports are
// written with the verdict "interrupted".
func TestRunInterruptedWritesWhatWasMeasured(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &cancelOn{text: ": load", cancel: cancel}
	var stdout syncbuf.Buffer
	st := &State{Stdout: &stdout, Stderr: stderr, Getenv: func(string) string { return "" }}
	out := t.TempDir()

	err := Run(ctx, st, []string{"run", "-out", out, "-no-baseline", "testdata/tiny.yaml"})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "interrupted")
	assert.Contains(t, stdout.String(), "tiny: INTERRUPTED")

	res := writtenResult(t, out, "tiny")
	assert.Equal(t, result.VerdictInterrupted, res.Verdict)
	assert.Contains(t, res.Error, "interrupted")
	require.NotEmpty(t, res.Cases)
	assert.NotEmpty(t, res.Cases[0].Runs, "the repeat under way is kept")
}

// writtenResult reads the result.json a run broken off before its verdict
// wrote for scenario name under out, failing the test when it is missing.
func writtenResult(t *testing.T, out, name string) result.Scenario {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, name, "result.json"))
	require.NoError(t, err, "the reports of a run broken off before its verdict are written")
	var res result.Scenario
	require.NoError(t, json.Unmarshal(raw, &res))
	return res
}
