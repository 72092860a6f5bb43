package sqsbackend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
