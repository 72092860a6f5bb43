package runner_test

import (
	"sort"
	"testing"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// BenchmarkProbeOverhead measures what the runtime and queue probes cost
// the service: the same scenario runs alternately with probes on and off
// (ABAB..., so both sides see the same machine noise) and the ratio of the
// median throughputs is reported. The bar is >= 0.98.
//
//	go test -run '^$' -bench ProbeOverhead -benchtime 10x ./runner
func BenchmarkProbeOverhead(b *testing.B) {
	sc, err := scenario.Load("testdata/overhead.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var on, off []float64
	for i := 0; b.Loop(); i++ {
		for _, disable := range []bool{i%2 == 1, i%2 == 0} {
			res, err := runner.Run(b.Context(), sc, runner.Options{DisableProbes: disable})
			if err != nil {
				b.Fatal(err)
			}
			tp := res.Cases[0].Runs[0].Metrics["throughput"]
			if disable {
				off = append(off, tp)
			} else {
				on = append(on, tp)
			}
		}
	}
	b.ReportMetric(median(on), "tasks/s-probes-on")
	b.ReportMetric(median(off), "tasks/s-probes-off")
	b.ReportMetric(median(on)/median(off), "ratio")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
