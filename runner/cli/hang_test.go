package cli

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// hangAfterFirstSend forwards requests to target until the load's first
// send batch has been answered (the service has work), then answers
// nothing more while holding every connection open: an endpoint that
// hangs mid-run, before the load is done.
func hangAfterFirstSend(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{}
	rp.Transport = tr
	rp.ErrorLog = log.New(io.Discard, "", 0) // cancelled requests are the point here
	var mu sync.Mutex
	hanging := false
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hang := hanging
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.SendMessageBatch") {
			hanging = true
		}
		mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-hold:
			}
			panic(http.ErrAbortHandler) // no answer, ever
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(hold)
		srv.Close()
		tr.CloseIdleConnections()
	})
	return srv
}

// TestRunOnAHungEndpointWritesWhatWasMeasured: an SQS endpoint that stops
// answering mid-run ends the run (exit 4, saying so) and the reports are
// still written, with the verdict "error" and the repeat that ran:
// without them a CI job that hit a hung endpoint shows nothing.
func TestRunOnAHungEndpointWritesWhatWasMeasured(t *testing.T) {
	emu := sqsemu.NewServer()
	defer emu.Close()
	proxy := hangAfterFirstSend(t, emu.URL)
	dir := t.TempDir()
	file := filepath.Join(dir, "hung.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`name: hung
timeout: 3s
service:
  workers: 2
  shutdown_timeout: 1s
  task:
    io_wait: 1ms
load:
  jobs: 40
  tasks_per_job: 2
  senders: 1
thresholds:
  - lost == 0
`), 0o644))
	var stdout, stderr syncbuf.Buffer
	st := &State{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	out := filepath.Join(dir, "reports")

	err := Run(t.Context(), st, []string{"run", "-out", out, "-no-baseline", "-backend", "endpoint", "-endpoint", proxy.URL, file})
	require.Error(t, err)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "stopped answering")
	assert.Contains(t, stdout.String(), "hung: ERROR")

	res := writtenResult(t, out, "hung")
	assert.Equal(t, result.VerdictError, res.Verdict)
	assert.Contains(t, res.Error, "stopped answering")
	require.NotEmpty(t, res.Cases)
	require.NotEmpty(t, res.Cases[0].Runs, "the repeat under way is kept")
	assert.Contains(t, strings.Join(res.Cases[0].Runs[0].Errors, "\n"), "stopped answering")
	for _, name := range []string{"summary.md", "report.html", "junit.xml"} {
		_, serr := os.Stat(filepath.Join(out, "hung", name))
		assert.NoError(t, serr, name)
	}
}
