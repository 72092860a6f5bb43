package fault

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingServer counts the requests that really reached "SQS".
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func do(t *testing.T, tr http.RoundTripper, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"QueueUrl":"x"}`))
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestThrottleAndErrorNeverReachTheServer(t *testing.T) {
	srv, reached := countingServer(t)
	for _, tc := range []struct {
		cfg    Config
		status int
		typ    string
	}{
		{Config{ThrottleRate: 1}, 400, "ThrottlingException"},
		{Config{ErrorRate: 1}, 500, "InternalError"},
	} {
		tr := New(srv.Client().Transport, tc.cfg)
		resp, err := do(t, tr, srv.URL)
		require.NoError(t, err)
		assert.Equal(t, tc.status, resp.StatusCode)
		body, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(body), "com.amazonaws.sqs#"+tc.typ)
		assert.NotEmpty(t, resp.Header.Get("x-amzn-query-error"))
	}
	assert.Zero(t, reached.Load(), "an injected error response must not reach SQS")
}

func TestDropReachesTheServerButLosesTheAnswer(t *testing.T) {
	srv, reached := countingServer(t)
	tr := New(srv.Client().Transport, Config{DropRate: 1})
	_, err := do(t, tr, srv.URL)
	require.Error(t, err)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.True(t, IsInjected(err))
	assert.Equal(t, int64(1), reached.Load(), "a dropped call is served; only its answer is lost")
	assert.Equal(t, int64(1), tr.Counts().Dropped)
}

func TestTimeoutHangsThenFailsAsTimeout(t *testing.T) {
	srv, reached := countingServer(t)
	tr := New(srv.Client().Transport, Config{TimeoutRate: 1, Timeout: 20 * time.Millisecond})
	start := time.Now()
	_, err := do(t, tr, srv.URL)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	assert.Zero(t, reached.Load())
}

func TestTimeoutHonoursCancellation(t *testing.T) {
	srv, _ := countingServer(t)
	tr := New(srv.Client().Transport, Config{TimeoutRate: 1, Timeout: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	go cancel()
	_, err := tr.RoundTrip(req)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestRatesAreHonouredAndReproducible(t *testing.T) {
	srv, reached := countingServer(t)
	cfg := Config{ThrottleRate: 0.1, ErrorRate: 0.1, DropRate: 0.1, Seed: 7}
	run := func() Counts {
		tr := New(srv.Client().Transport, cfg)
		for i := 0; i < 2000; i++ {
			resp, err := do(t, tr, srv.URL)
			if err == nil {
				resp.Body.Close()
			}
		}
		return tr.Counts()
	}
	a := run()
	b := run()
	assert.Equal(t, a, b, "the same seed must inject the same faults")
	for name, got := range map[string]int64{"throttled": a.Throttled, "errors": a.Errors, "dropped": a.Dropped} {
		assert.InDelta(t, 200, got, 60, "%s: 10%% of 2000 calls", name)
	}
	// Every call but the throttled and errored ones reached the server.
	assert.Equal(t, 2*(2000-a.Throttled-a.Errors), reached.Load())
}

func TestValidate(t *testing.T) {
	assert.NoError(t, Config{ErrorRate: 0.5, DropRate: 0.5}.Validate())
	assert.ErrorContains(t, Config{ErrorRate: 1.5}.Validate(), "error_rate")
	assert.ErrorContains(t, Config{ErrorRate: 0.6, DropRate: 0.6}.Validate(), "at most 100%")
	assert.False(t, Config{}.Enabled())
	assert.True(t, Config{LatencyRate: 0.1}.Enabled())
}
