package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// sqsProxy stands between the runner and an emulator: it counts the SQS
// operations, records the queues created, and after forward requests
// (forward < 0: never) stops answering while keeping connections open,
// as an endpoint that hangs mid-run does.
type sqsProxy struct {
	*httptest.Server
	hold    chan struct{}
	tr      *http.Transport
	mu      sync.Mutex
	forward int
	seen    int
	ops     map[string]int
	created []string
	onOp    func(op string)
}

func newSQSProxy(t *testing.T, target string, forward int) *sqsProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &sqsProxy{hold: make(chan struct{}), tr: &http.Transport{}, forward: forward, ops: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = p.tr
	rp.ErrorLog = log.New(io.Discard, "", 0) // cancelled requests are the point here
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		p.seen++
		hang := p.forward >= 0 && p.seen > p.forward
		p.ops[op]++
		if op == "CreateQueue" {
			var in struct{ QueueName string }
			_ = json.Unmarshal(body, &in)
			p.created = append(p.created, in.QueueName)
		}
		hook := p.onOp
		p.mu.Unlock()
		if hook != nil {
			hook(op)
		}
		if hang {
			select {
			case <-r.Context().Done():
			case <-p.hold:
			}
			panic(http.ErrAbortHandler) // no answer, ever
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(p.hold)
		p.Close()
		p.tr.CloseIdleConnections()
	})
	return p
}

func (p *sqsProxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ops[op]
}

func (p *sqsProxy) createdQueues() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.created...)
}

func noEnvironment(string) string { return "" }

func pipelineScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load("testdata/pipeline.yaml")
	require.NoError(t, err)
	return sc.Clone()
}

// queuesLeft lists every queue on the emulator.
func queuesLeft(t *testing.T, emu *sqsemu.Server) []string {
	t.Helper()
	out, err := emu.Client().ListQueues(t.Context(), &sqs.ListQueuesInput{})
	require.NoError(t, err)
	return out.QueueUrls
}

func allRuns(res *result.Scenario) []result.Run {
	var runs []result.Run
	for _, c := range res.Cases {
		runs = append(runs, c.Runs...)
	}
	return runs
}

// TestBackendEndpointOpenedOncePerInvocation runs two scenarios at once on
// one shared endpoint backend: it is opened once (one ListQueues probe),
// every repeat gets queues of its own, no repeat sees another's messages,
// and nothing is left behind.
func TestBackendEndpointOpenedOncePerInvocation(t *testing.T) {
	emu := sqsemu.NewServer()
	defer emu.Close()
	p := newSQSProxy(t, emu.URL, -1)
	pool := NewBackends()
	var opens int
	pool.open = func(ctx context.Context, cfg sqsbackend.Config) (*sqsbackend.Backend, error) {
		opens++ // under pool.mu
		return sqsbackend.Open(ctx, cfg)
	}
	opt := Options{Backend: sqsbackend.Endpoint, Endpoint: p.URL, Getenv: noEnvironment, Backends: pool}

	const invocations = 2
	results := make([]*result.Scenario, invocations)
	errs := make([]error, invocations)
	var wg sync.WaitGroup
	for i := range invocations {
		wg.Go(func() { results[i], errs[i] = Run(t.Context(), pipelineScenario(t), opt) })
	}
	wg.Wait()
	require.NoError(t, pool.Close(t.Context()))

	assert.Equal(t, 1, opens, "one backend opened for the whole invocation")
	assert.Equal(t, 1, p.count("ListQueues"), "the endpoint was probed once")
	var runs []result.Run
	for i, res := range results {
		require.NoError(t, errs[i])
		require.Len(t, res.Backends, 1)
		assert.Equal(t, "endpoint#1", res.Backends[0].ID)
		assert.Positive(t, res.Backends[0].Start, "the shared backend's start is recorded once")
		runs = append(runs, allRuns(res)...)
	}
	require.Len(t, runs, invocations*4)
	started := 0
	for _, r := range runs {
		assert.Equal(t, "endpoint#1", r.BackendInstance)
		assert.Empty(t, r.Errors)
		assert.Equal(t, 40, r.Accounting.Sent)
		assert.Equal(t, 40, r.Accounting.Processed)
		assert.Zero(t, r.Accounting.Foreign, "a repeat saw messages it did not send: queues are shared")
		assert.Zero(t, r.Accounting.Duplicates)
		assert.Zero(t, r.Accounting.Lost)
		if r.Metrics["backend.start"] > 0 {
			started++
		}
	}
	assert.Equal(t, 1, started, "only the repeat that opened the backend waited for it; the others record 0")

	created := p.createdQueues()
	assert.Len(t, created, len(runs)*3, "three queues per repeat")
	prefixes := map[string]bool{}
	for _, name := range created {
		m := repeatPrefix.FindAllStringSubmatch(name, -1)
		require.NotEmpty(t, m, "queue %s has no repeat prefix", name)
		prefixes[m[len(m)-1][1]] = true
	}
	assert.Len(t, prefixes, len(runs), "one queue prefix per repeat")
	assert.Len(t, uniq(created), len(created), "every repeat's queues have names of their own")
	assert.Equal(t, len(created), p.count("DeleteQueue"), "every queue created was deleted")
	assert.Empty(t, queuesLeft(t, emu))
}

var repeatPrefix = regexp.MustCompile(`-(r[0-9]+)-`)

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

// TestBackendEmbeddedFreshPerRepeat: the embedded backend is opened for
// each repeat (cheap, and no repeat's leftovers shift the next one's
// figures), so each run names its own instance and waited for it.
func TestBackendEmbeddedFreshPerRepeat(t *testing.T) {
	res, err := Run(t.Context(), pipelineScenario(t), Options{Backend: sqsbackend.Embedded})
	require.NoError(t, err)
	runs := allRuns(res)
	require.Len(t, runs, 4)
	ids := map[string]bool{}
	for _, r := range runs {
		ids[r.BackendInstance] = true
		assert.Positive(t, r.Metrics["backend.start"])
		assert.Empty(t, r.Errors)
		assert.Zero(t, r.Accounting.Lost)
	}
	assert.Len(t, ids, 4, "one embedded instance per repeat")
	assert.Empty(t, res.Backends, "no shared backend")
}

// TestBackendCleanupAfterFailedRun: a run that fails after its queues were
// created (a bad service setting) still deletes them.
func TestBackendCleanupAfterFailedRun(t *testing.T) {
	emu := sqsemu.NewServer()
	defer emu.Close()
	p := newSQSProxy(t, emu.URL, -1)
	sc := pipelineScenario(t)
	sc.Service.Handler = "no-such-handler"
	_, err := Run(t.Context(), sc, Options{Backend: sqsbackend.Endpoint, Endpoint: p.URL, Getenv: noEnvironment})
	require.Error(t, err)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Equal(t, 3, p.count("CreateQueue"))
	assert.Equal(t, 3, p.count("DeleteQueue"))
	assert.Empty(t, queuesLeft(t, emu))
}

// TestInterruptKeepsWhatWasMeasuredAndCleansUp: a signal mid-run (ctx
// cancelled) ends the repeat, keeps it with an "interrupted" error, deletes
// its queues and returns an environment error (exit 4).
func TestInterruptKeepsWhatWasMeasuredAndCleansUp(t *testing.T) {
	emu := sqsemu.NewServer()
	defer emu.Close()
	p := newSQSProxy(t, emu.URL, -1)
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	var once sync.Once
	p.onOp = func(op string) {
		if op == "SendMessageBatch" && p.count("SendMessageBatch") >= 2 { // the warm-up, then the load
			once.Do(func() { cancel(context.Canceled) })
		}
	}
	start := time.Now()
	res, err := Run(ctx, pipelineScenario(t), Options{Backend: sqsbackend.Endpoint, Endpoint: p.URL, Getenv: noEnvironment})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "interrupted")
	require.NotNil(t, res)
	runs := allRuns(res)
	require.Len(t, runs, 1, "the repeat under way is kept; no other starts")
	assert.Contains(t, strings.Join(runs[0].Errors, "\n"), "interrupted")
	assert.Equal(t, p.count("CreateQueue"), p.count("DeleteQueue"))
	assert.Empty(t, queuesLeft(t, emu))
}

// TestHangEndpointStopsAnswering: an endpoint that answers the first
// requests and then holds every connection open ends the run within its
// bound, with an error that says so, and no goroutine left (TestMain's
// goleak).
func TestHangEndpointStopsAnswering(t *testing.T) {
	old := minTeardown
	minTeardown = 2 * time.Second
	defer func() { minTeardown = old }()
	emu := sqsemu.NewServer()
	defer emu.Close()
	p := newSQSProxy(t, emu.URL, 15) // the backend and the queues, then a few of the run's
	sc := pipelineScenario(t)
	sc.Timeout = 4 * time.Second
	sc.Service.ShutdownTimeout = 30 * time.Second // longer than the teardown: the runner must not wait for it

	start := time.Now()
	res, err := Run(t.Context(), sc, Options{Backend: sqsbackend.Endpoint, Endpoint: p.URL, Getenv: noEnvironment})
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stopped answering")
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	// The run's timeout, one teardown, one answer check, the backend's
	// close: all bounded; the rest is slack for a busy machine.
	bound := sc.Timeout + 2*teardownBudget(sc.Timeout) + answerTimeout + 10*time.Second
	assert.Less(t, elapsed, bound)
	require.NotNil(t, res)
	runs := allRuns(res)
	require.Len(t, runs, 1, "the first repeat is kept, and no other starts")
	assert.Contains(t, strings.Join(runs[0].Errors, "\n"), "stopped answering")
	t.Logf("ended after %s (bound %s): %v", elapsed.Round(time.Millisecond), bound, err)
}
