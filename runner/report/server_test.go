package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

// commandScenario is the result of an external consumer's run: no
// per-task events (no "processed" metric), the SQS server's accounting
// and timings, two messages held at the end.
func commandScenario() *result.Scenario {
	run := result.Run{Repeat: 1,
		Accounting: result.Accounting{JobsSent: 100, Sent: 400},
		Metrics: map[string]float64{
			"sent": 400, "lost": 0, "cpu.per_message": 0.00105, "process.rss.peak": 139 << 20,
			"server.queue_wait.p50": 0.263, "server.queue_wait.p95": 0.467, "server.queue_wait.p99": 0.468,
			"server.time_in_service.p50": 0.027, "server.time_in_service.p95": 0.056, "server.time_in_service.p99": 0.060,
		},
		Server: &result.ServerAccounting{ServerCounts: result.ServerCounts{Sent: 100, Processed: 98, InFlight: 2}, Redeliveries: 3,
			InFlightIDs: []result.LostMessage{{ID: "id-held-1", Queue: "export-jobs"}, {ID: "id-held-2", Queue: "export-jobs"}}},
	}
	return &result.Scenario{SchemaVersion: result.SchemaVersion, Name: "node-stress", Started: fixtureStart, Verdict: result.VerdictFail,
		Cases: []result.Case{{Name: "node-stress", Runs: []result.Run{run}}}}
}

func TestExternalConsumerReportShowsTheServerView(t *testing.T) {
	cv := caseViewOf(commandScenario().Cases[0])

	stages := map[string]stageRow{}
	for _, r := range cv.Stages {
		stages[r.Stage] = r
	}
	require.Contains(t, stages, "queue wait (SQS server)", "the server's timings are the stages an external consumer has")
	assert.Equal(t, "468ms", stages["queue wait (SQS server)"].P99)
	assert.Equal(t, "27ms", stages["time in service (SQS server)"].P50)

	rows := map[string]accountingRow{}
	for _, r := range cv.Accounting {
		rows[r.Name] = r
	}
	assert.Equal(t, []string{"—"}, rows["processed"].Values, "not counted: no events, not zero")
	assert.Equal(t, []string{"400"}, rows["tasks sent"].Values)
	assert.Equal(t, []string{"98"}, rows["… processed (deleted)"].Values)
	assert.Equal(t, []string{"2"}, rows["… in flight at the end"].Values)
	assert.True(t, rows["… in flight at the end"].Bad)
	assert.False(t, rows["… lost"].Bad)

	md := string(render(t, WriteMarkdown, commandScenario()))
	assert.Contains(t, md, "| node-stress | 1 | 400 | — | — | — | — | — | 0 |")
	assert.Contains(t, md, "| node-stress | 100 | 98 | 0 | **2** ❌ | 0 | 0 | 3 |")
	assert.Contains(t, md, "node-stress: lost or held: `id-held-1, id-held-2`")
}

// The built-in service's runs keep their event counts, zeros included.
func TestServiceReportKeepsItsEventCounts(t *testing.T) {
	s := commandScenario()
	s.Cases[0].Runs[0].Metrics["processed"] = 0
	for _, r := range caseViewOf(s.Cases[0]).Accounting {
		if r.Name == "processed" {
			assert.Equal(t, []string{"0"}, r.Values)
		}
	}
}
