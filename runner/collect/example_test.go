package collect_test

import (
	"fmt"
	"time"

	"github.com/sqsperf/sqsperf/runner/collect"
	"github.com/sqsperf/sqsperf/service"
)

// A collector learns what was sent from the load driver and what happened
// from the service's events; lost tasks are what the sets leave over.
func ExampleCollector() {
	c := collect.New()
	sent := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.JobSent("j0", []string{"j0/t0", "j0/t1", "j0/t2"}, sent)

	done := sent.Add(2 * time.Second)
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t0", StartedAt: sent, At: done})
	c.Observe(service.Event{Kind: service.Finished, TaskID: "j0/t0", StartedAt: sent, At: done}) // redelivered
	c.AddDeadLettered([]string{`{"task_id":"j0/t1","job_id":"j0"}`})

	p := c.Progress()
	p.Expected = 3
	fmt.Println(collect.FormatProgress("drain", p, 2500*time.Millisecond))
	m, acct := c.Result(sent, done)
	fmt.Println("lost", acct.Lost, acct.LostIDs, "duplicates", acct.Duplicates, "done", c.Done())
	fmt.Printf("throughput %.1f/s\n", m["throughput"])
	// Output:
	// drain  sent 3/3  processed 1  dlq 1  dup 1  2.5s
	// lost 1 [j0/t2] duplicates 1 done false
	// throughput 0.5/s
}
