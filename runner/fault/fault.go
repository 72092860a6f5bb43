// Package fault injects SQS failures between a client and its endpoint, at
// the HTTP layer, so that the SDK's own retryer and the service's retries
// both meet them as they would in production: error responses (throttling,
// 500s), added latency, connections dropped after the request was served
// (the nasty case: the call happened but the caller never hears of it) and
// timeouts. Decisions are drawn from a seeded generator, so a scenario's
// faults are reproducible in kind and rate.
package fault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config says what share of calls meets each fault. Shares are drawn
// independently in the order throttle, error, timeout, drop; latency is
// added on top of any of them.
type Config struct {
	ThrottleRate float64       // answered 400 ThrottlingException without reaching SQS
	ErrorRate    float64       // answered 500 InternalError without reaching SQS
	TimeoutRate  float64       // hang for Timeout, then fail with a timeout (the call did not reach SQS)
	DropRate     float64       // the call reaches SQS, then the connection is reset before the answer
	LatencyRate  float64       // share of calls delayed by Latency before they are sent
	Latency      time.Duration // added latency (default 50ms)
	Timeout      time.Duration // how long a timed-out call hangs (default 1s)
	Seed         int64
}

// Enabled reports whether any fault is configured.
func (c Config) Enabled() bool {
	return c.ThrottleRate > 0 || c.ErrorRate > 0 || c.TimeoutRate > 0 || c.DropRate > 0 || c.LatencyRate > 0
}

// Validate checks rates are shares and the sum of exclusive faults fits.
func (c Config) Validate() error {
	for name, r := range map[string]float64{"throttle_rate": c.ThrottleRate, "error_rate": c.ErrorRate, "timeout_rate": c.TimeoutRate, "drop_rate": c.DropRate, "latency_rate": c.LatencyRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("faults.sqs.%s: must be between 0%% and 100%%, got %g", name, r)
		}
	}
	if s := c.ThrottleRate + c.ErrorRate + c.TimeoutRate + c.DropRate; s > 1 {
		return fmt.Errorf("faults.sqs: throttle, error, timeout and drop rates add up to %.0f%%; they are exclusive, so at most 100%%", s*100)
	}
	return nil
}

// Counts are how many calls met each fault.
type Counts struct {
	Calls, Throttled, Errors, Timeouts, Dropped, Delayed int64
}

// Transport is an http.RoundTripper that injects the configured faults.
type Transport struct {
	base http.RoundTripper
	cfg  Config

	mu  sync.Mutex
	rnd *rand.Rand

	calls, throttled, errs, timeouts, dropped, delayed atomic.Int64
}

// New wraps base (http.DefaultTransport when nil).
func New(base http.RoundTripper, cfg Config) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if cfg.Latency <= 0 {
		cfg.Latency = 50 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	return &Transport{base: base, cfg: cfg, rnd: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))}
}

// Counts returns what was injected so far.
func (t *Transport) Counts() Counts {
	return Counts{Calls: t.calls.Load(), Throttled: t.throttled.Load(), Errors: t.errs.Load(),
		Timeouts: t.timeouts.Load(), Dropped: t.dropped.Load(), Delayed: t.delayed.Load()}
}

type decision struct {
	kind  int // 0 none, 1 throttle, 2 error, 3 timeout, 4 drop
	delay bool
}

func (t *Transport) decide() decision {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d decision
	r := t.rnd.Float64()
	switch c := t.cfg; {
	case r < c.ThrottleRate:
		d.kind = 1
	case r < c.ThrottleRate+c.ErrorRate:
		d.kind = 2
	case r < c.ThrottleRate+c.ErrorRate+c.TimeoutRate:
		d.kind = 3
	case r < c.ThrottleRate+c.ErrorRate+c.TimeoutRate+c.DropRate:
		d.kind = 4
	}
	d.delay = t.rnd.Float64() < t.cfg.LatencyRate
	return d
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.calls.Add(1)
	d := t.decide()
	ctx := req.Context()
	if d.delay {
		t.delayed.Add(1)
		if err := sleep(ctx, t.cfg.Latency); err != nil {
			return nil, err
		}
	}
	switch d.kind {
	case 1:
		t.throttled.Add(1)
		drain(req)
		return errorResponse(req, http.StatusBadRequest, "ThrottlingException", "Throttling;Sender", "Rate exceeded (injected by sqsperf)"), nil
	case 2:
		t.errs.Add(1)
		drain(req)
		return errorResponse(req, http.StatusInternalServerError, "InternalError", "InternalError;Receiver", "We encountered an internal error (injected by sqsperf)"), nil
	case 3:
		t.timeouts.Add(1)
		drain(req)
		if err := sleep(ctx, t.cfg.Timeout); err != nil {
			return nil, err
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
	case 4:
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		t.dropped.Add(1)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return t.base.RoundTrip(req)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout (injected by sqsperf)" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = (*net.OpError)(nil)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func drain(req *http.Request) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
}

// errorResponse builds an AWS JSON 1.0 error the SDK decodes into a typed
// API error and classifies for retry like the real one.
func errorResponse(req *http.Request, status int, code, queryError, msg string) *http.Response {
	body := fmt.Sprintf(`{"__type":"com.amazonaws.sqs#%s","message":%q}`, code, msg)
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-query-error", queryError)
	h.Set("x-amzn-RequestId", "injected-fault")
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// IsInjected reports whether err came from this package (for logs).
func IsInjected(err error) bool {
	var te timeoutError
	return errors.As(err, &te) || errors.Is(err, syscall.ECONNRESET)
}
