package runner

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// recordServerView reads the SQS server's accounting of every message
// sent since the measured window began (the warm-up's messages were all
// sent, and settled, before it) and records it in the run: server.*
// metrics and the exact ids of lost messages. Read it after the consumer
// stopped, so that in flight means "held and not released". Backends
// without a ledger (LocalStack, an endpoint) record nothing.
func (r *repeat) recordServerView(ctx context.Context, since time.Time) (ledger.Summary, bool) {
	if r.backend.Backend == nil {
		return ledger.Summary{}, false
	}
	s, ok, err := r.backend.ServerLedger(ctx, since)
	if err != nil {
		r.run.Warnings = append(r.run.Warnings, "the server-view accounting (server.*) is not measured: "+err.Error())
		return ledger.Summary{}, false
	}
	if !ok {
		return ledger.Summary{}, false
	}
	maps.Copy(r.run.Metrics, serverMetrics(s))
	r.run.Server = serverAccounting(s)
	return s, true
}

// serverMetrics turns a ledger summary into the run's server.* metrics.
func serverMetrics(s ledger.Summary) map[string]float64 {
	out := map[string]float64{
		metric.ServerSent:         float64(s.Sent),
		metric.ServerProcessed:    float64(s.Processed),
		metric.ServerDeadLettered: float64(s.DeadLettered),
		metric.ServerLost:         float64(s.Lost),
		metric.ServerInFlight:     float64(s.InFlight),
		metric.ServerWaiting:      float64(s.Waiting),
		metric.ServerRedeliveries: float64(s.Redeliveries),
	}
	for name, d := range map[string]ledger.Durations{metric.ServerQueueWait: s.QueueWait, metric.ServerTimeInService: s.TimeInService} {
		if d.Count == 0 {
			continue // not measured, rather than a latency of 0
		}
		for stat, v := range map[string]time.Duration{"p50": d.P50, "p90": d.P90, "p95": d.P95, "p99": d.P99, "max": d.Max, "mean": d.Mean} {
			out[metric.Key(name, stat)] = v.Seconds()
		}
	}
	return out
}

func serverAccounting(s ledger.Summary) *result.ServerAccounting {
	counts := func(c ledger.Counts) result.ServerCounts {
		return result.ServerCounts{Sent: c.Sent, Processed: c.Processed, DeadLettered: c.DeadLettered, Lost: c.Lost, InFlight: c.InFlight, Waiting: c.Waiting}
	}
	a := &result.ServerAccounting{ServerCounts: counts(s.Counts), Redeliveries: s.Redeliveries, Queues: map[string]result.ServerCounts{}}
	for q, c := range s.Queues {
		a.Queues[q] = counts(c)
	}
	ids := func(ms []ledger.LostMessage) []result.LostMessage {
		var out []result.LostMessage
		for _, m := range ms {
			out = append(out, result.LostMessage{ID: m.ID, Queue: m.Queue, SentAt: m.SentAt, Receives: m.Receives, Reason: m.Reason})
		}
		return out
	}
	a.LostIDs, a.InFlightIDs, a.DeadLetteredIDs = ids(s.LostIDs), ids(s.InFlightIDs), ids(s.DeadLetteredIDs)
	return a
}

// firstIDs names the first few of ms ("ID on QUEUE"), pointing to
// result.json's field for the rest.
func firstIDs(ms []result.LostMessage, field string) string {
	const show = 5
	ids := ""
	for i, m := range ms {
		if i == show {
			ids += fmt.Sprintf(", and %d more in result.json (server.%s)", len(ms)-show, field)
			break
		}
		if i > 0 {
			ids += ", "
		}
		ids += m.ID + " on " + m.Queue
	}
	return ids
}

// serverLostError is the run error for messages the server saw lost:
// the count and the first ids, the rest being in result.json.
func serverLostError(a *result.ServerAccounting) string {
	const show = 5
	ids := ""
	for i, m := range a.LostIDs {
		if i == show {
			ids += fmt.Sprintf(", and %d more in result.json (server.lost_ids)", len(a.LostIDs)-show)
			break
		}
		if i > 0 {
			ids += ", "
		}
		ids += fmt.Sprintf("%s on %s (%s)", m.ID, m.Queue, m.Reason)
	}
	return fmt.Sprintf("the SQS server saw %d messages lost: %s", a.Lost, ids)
}
