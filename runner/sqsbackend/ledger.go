package sqsbackend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sqsperf/sqsperf/runner/ledger"
)

// ledgerTimeout bounds one read of the server's ledger: a summary of a
// few hundred thousand messages takes well under a second to compute.
const ledgerTimeout = 10 * time.Second

// ledgerBodyLimit bounds the answer: the summary lists every lost id, so
// a run that lost everything still fits.
const ledgerBodyLimit = 64 << 20

// ServerLedger reads the embedded server's accounting of every message
// sent at or after since (zero: every message), from the server's view:
// processed, dead-lettered, lost (with ids), in flight, waiting,
// redeliveries, queue wait and time in service. ok is false for the
// other kinds, which have no ledger (a container or a remote endpoint
// does not report per-message events). ctx and ledgerTimeout bound it.
func (b *Backend) ServerLedger(ctx context.Context, since time.Time) (s ledger.Summary, ok bool, err error) {
	if b == nil || b.Kind != Embedded || b.Endpoint == "" {
		return ledger.Summary{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ledgerTimeout)
	defer cancel()
	u := b.Endpoint + ledger.Path
	if !since.IsZero() {
		u += "?since=" + url.QueryEscape(since.UTC().Format(time.RFC3339Nano))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ledger.Summary{}, false, err
	}
	// A client of its own: the SDK's client may have had its idle
	// connections closed, and this one must not keep any.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return ledger.Summary{}, false, fmt.Errorf("reading the SQS server's ledger: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return ledger.Summary{}, false, fmt.Errorf("reading the SQS server's ledger: %s: %s", resp.Status, body)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, ledgerBodyLimit)).Decode(&s); err != nil {
		return ledger.Summary{}, false, fmt.Errorf("reading the SQS server's ledger: %w", err)
	}
	return s, true, nil
}

// receivesPath answers how many ReceiveMessage calls the server has
// answered so far: a consumer's first poll is its readiness when it says
// nothing else (an empty receive is no message event for the ledger).
const receivesPath = "/_sqsperf/receives"

// receiveCounter counts ReceiveMessage requests (AWS JSON protocol: the
// action is in X-Amz-Target) and answers the count on receivesPath.
type receiveCounter struct{ n atomic.Int64 }

func (c *receiveCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "AmazonSQS.ReceiveMessage" {
			c.n.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

func (c *receiveCounter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, strconv.FormatInt(c.n.Load(), 10)+"\n")
}

// ServerReceives is how many ReceiveMessage calls the embedded server has
// answered so far, from anyone (ok is false for the other kinds).
func (b *Backend) ServerReceives(ctx context.Context) (n int64, ok bool, err error) {
	if b == nil || b.Kind != Embedded || b.Endpoint == "" {
		return 0, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ledgerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.Endpoint+receivesPath, nil)
	if err != nil {
		return 0, false, err
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("reading the SQS server's receive count: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, false, err
	}
	n, err = strconv.ParseInt(string(bytesTrim(body)), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil {
		return 0, false, fmt.Errorf("reading the SQS server's receive count: %s %q", resp.Status, body)
	}
	return n, true, nil
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
