package threshold_test

import (
	"fmt"

	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/threshold"
)

func ExampleJudge() {
	e, err := threshold.Parse("p99(stage.process) < 50ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	runs := []result.Run{
		{Metrics: map[string]float64{"stage.process.p99": 0.031}},
		{Metrics: map[string]float64{"stage.process.p99": 0.120}}, // one noisy repeat
		{Metrics: map[string]float64{"stage.process.p99": 0.034}},
	}
	for _, r := range threshold.Judge(e, "stress.yaml:20", []result.Case{{Name: "stress", Runs: runs}}) {
		fmt.Println(r.Case, r.Display, r.Pass)
	}
	// Output:
	// stress 34ms true
}

func ExampleParse_error() {
	_, err := threshold.Parse("p99(stage.proces) < 50")
	fmt.Println(err)
	_, err = threshold.Parse("throughput > 40")
	fmt.Println(err)
	// Output:
	// column 5: unknown metric stage.proces: did you mean stage.process?
	// column 14: throughput is a rate, so 40 does not fit: write a rate such as 50/s
}
