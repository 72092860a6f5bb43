package monitor_test

import (
	"os"
	"time"

	"github.com/sqsperf/sqsperf/runner/monitor"
	"github.com/sqsperf/sqsperf/runner/probe"
)

// Without a terminal the monitor appends one plain line per queue and
// refresh, fit for CI logs and grep.
func ExampleMonitor_Render() {
	m := monitor.New(os.Stdout, nil, nil, monitor.Options{})
	_ = m.Render(monitor.Snapshot{
		At: time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC),
		Queues: []monitor.QueueState{
			{Name: "export-jobs", Depth: probe.Depth{Visible: 120, InFlight: 10}, Rate: -40, HasRate: true},
			{Name: "export-jobs-dlq", Depth: probe.Depth{Visible: 2}, HasRate: true},
		},
	})
	// Output:
	// 09:30:00 export-jobs visible=120 in_flight=10 delayed=0 total=130 rate=↓40/s status=yellow flags=backlog>=100
	// 09:30:00 export-jobs-dlq visible=2 in_flight=0 delayed=0 total=2 rate=→0/s status=red flags=dead-letters
}
