package ledger

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// Path is where Wrap answers with the ledger's Summary as JSON, next to
// the SQS API on the same listener. No SQS request uses it: the SQS JSON
// protocol posts to "/".
const Path = "/_sqsperf/ledger"

// Wrap returns next with GET Path answered from the ledger: the Summary
// now, as JSON. With ?lives=1 the answer also holds every message's Life
// (large for a long run); with ?since=RFC3339 (nanoseconds allowed) only
// messages sent at or after that instant count: a run's measured window
// without its warm-up. Every other request goes to next.
func (l *Ledger) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != Path {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "ledger: use GET "+Path, http.StatusMethodNotAllowed)
			return
		}
		lives := l.Lives()
		if v := r.URL.Query().Get("since"); v != "" {
			since, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				http.Error(w, "ledger: since must be an RFC 3339 time such as 2026-01-02T15:04:05.123456789Z: "+err.Error(), http.StatusBadRequest)
				return
			}
			lives = SentSince(lives, since)
		}
		body := struct {
			Summary
			Lives []Life `json:"lives,omitempty"`
		}{Summary: Summarize(lives, l.now())}
		if r.URL.Query().Get("lives") == "1" {
			body.Lives = lives
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(body) // a write error means the client went away
	})
}

// ServerOptions attach l to an embedded server: its observer, and Path
// on the server's listener. Use with sqsemu.NewServer, Listen or Serve.
func ServerOptions(l *Ledger) []sqsemu.Option {
	return []sqsemu.Option{sqsemu.WithObserver(l.Observe), sqsemu.WithHTTPWrapper(l.Wrap)}
}
