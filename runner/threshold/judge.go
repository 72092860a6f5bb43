package threshold

import (
	"fmt"
	"math"

	"github.com/sqsperf/sqsperf/runner/internal/sample"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/units"
)

// Judge evaluates e on the cases of one scenario run. A plain threshold
// gives one result per case, judged on the median across that case's runs;
// a function threshold (scaling) gives one matrix-wide result (Case ""). source is
// where the threshold was written ("scenarios/stress.yaml:14"), copied
// into each result. A threshold that cannot be judged (the metric was not
// measured, the matrix has too few points) fails with Error set: a
// threshold nobody could check must not pass.
func Judge(e *Expr, source string, cases []result.Case) []result.ThresholdResult {
	if e.Across() {
		return []result.ThresholdResult{judgeFunc(e, source, cases)}
	}
	out := make([]result.ThresholdResult, 0, len(cases))
	for i := range cases {
		r := result.ThresholdResult{Expr: e.Source, Case: cases[i].Name, Source: source, Observed: math.NaN()}
		v, err := caseMedian(&cases[i], e.Key())
		if err != nil {
			r.Error = err.Error()
			r.Display = "n/a"
		} else {
			r.Observed = v
			r.Display = units.Format(e.Unit(), v)
			r.Pass = e.Op.Holds(v, e.Bound)
			if EveryRun(e.Def) {
				judgeEveryRun(e, &cases[i], &r)
			}
		}
		out = append(out, r)
	}
	if len(cases) == 0 {
		out = append(out, result.ThresholdResult{Expr: e.Source, Source: source, Observed: math.NaN(), Display: "n/a",
			Error: "no case was run, so nothing could be judged"})
	}
	return out
}

// EveryRun reports whether a threshold on d must hold in every run rather
// than on the median across runs: so for the exact tallies of the message
// accounting (metric.Def.Exact: lost, duplicates, crashes, processed,
// ...), where one run that loses a message has found a bug, not noise.
func EveryRun(d metric.Def) bool { return d.Exact }

// judgeEveryRun fails r with the first run that breaches the bound.
func judgeEveryRun(e *Expr, c *result.Case, r *result.ThresholdResult) {
	key := e.Key()
	measured := 0
	for _, run := range c.Runs {
		if _, ok := run.Metrics[key]; ok {
			measured++
		}
	}
	n := 0
	for _, run := range c.Runs {
		v, ok := run.Metrics[key]
		if !ok {
			continue
		}
		n++
		if !e.Op.Holds(v, e.Bound) {
			r.Observed = v
			r.Pass = false
			r.Display = fmt.Sprintf("%s (run %d of %d)", units.Format(e.Unit(), v), n, measured)
			return
		}
	}
}

func caseMedian(c *result.Case, key string) (float64, error) {
	samples := c.Samples(key)
	if len(samples) == 0 {
		if len(c.Runs) == 0 {
			return 0, fmt.Errorf("case %s has no runs", c.Name)
		}
		return 0, fmt.Errorf("%s was not measured in any of the %d runs of %s", key, len(c.Runs), c.Name)
	}
	m, _ := sample.Median(samples)
	return m, nil
}

func nan() float64 { return math.NaN() }
