package scenario_test

import (
	"fmt"

	"github.com/sqsperf/sqsperf/runner/scenario"
)

func ExampleParse() {
	src := `
name: sweep
service:
  task:
    io_wait: {lognormal: {median: 20ms, p99: 80ms}}
load: {jobs: 50, rate: 3000/min}
matrix:
  service.workers: [2, 4, 8]
thresholds:
  - lost == 0
  - scaling(throughput, service.workers) >= 0.8
`
	s, err := scenario.Parse("sweep.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Service.Task.IOWait.Kind, s.Service.Task.IOWait.Median, s.Load.Rate, s.SQS.VisibilityTimeout)
	cases, _ := s.Cases()
	for _, c := range cases {
		fmt.Println(c.Name, c.Scenario.Service.Workers)
	}
	// Output:
	// lognormal 20ms 50 5s
	// sweep/workers=2 2
	// sweep/workers=4 4
	// sweep/workers=8 8
}

func ExampleErrorList() {
	src := `
service:
  wokers: 4
  failure_rate: 20
load:
  payload: 512
thresholds:
  - throughput > 40
`
	_, err := scenario.Parse("bad.yaml", []byte(src))
	fmt.Println(err)
	// Output:
	// bad.yaml:3:3: service.wokers: unknown key: did you mean workers?
	// bad.yaml:4:3: service.failure_rate: 20 is more than 1 (100%): write 20% for a percentage, or a fraction such as 0.2
	// bad.yaml:6:3: load.payload: 512 has no unit: write a size such as 512B or 512KiB
	// bad.yaml:8:18: thresholds[0]: throughput > 40: throughput is a rate, so 40 does not fit: write a rate such as 50/s
}
