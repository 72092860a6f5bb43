package threshold

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/montanaflynn/stats"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario/units"
)

// FormatValue formats a value stored in base units the way it is written:
// "12.3ms", "45.1/s", "3.2%", "1.5MiB", "12", "0.93". Reports reuse it so
// that a value reads the same everywhere.
func FormatValue(u metric.Unit, v float64) string {
	switch u {
	case metric.Duration:
		return units.FormatDuration(v)
	case metric.Bytes:
		return units.FormatSize(v)
	case metric.Rate:
		return units.FormatRate(v)
	case metric.Ratio:
		return units.FormatPercent(v)
	}
	return units.Number(v)
}

// Judge evaluates e on the cases of one scenario run. A plain threshold
// gives one result per case, judged on the median across that case's runs;
// a scaling threshold gives one matrix-wide result (Case ""). source is
// where the threshold was written ("scenarios/stress.yaml:14"), copied
// into each result. A threshold that cannot be judged (the metric was not
// measured, the matrix has too few points) fails with Error set: a
// threshold nobody could check must not pass.
func Judge(e *Expr, source string, cases []result.Case) []result.ThresholdResult {
	if e.Scaling() {
		return []result.ThresholdResult{judgeScaling(e, source, cases)}
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
			r.Display = FormatValue(e.Unit(), v)
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
// than on the median across runs. That is so for the message accounting
// (lost, duplicates, crashes, processed, overflowed, ...): whole counts
// that do not depend on the machine, where one run that loses a message
// has found a bug, not noise. They are recognised by their registry
// definition: unit Count, not machine dependent, and either no direction
// or no tolerance for change.
func EveryRun(d metric.Def) bool {
	return d.Unit == metric.Count && !d.MachineDependent && (d.Better == metric.NoDirection || d.Tolerance == 0)
}

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
			r.Display = fmt.Sprintf("%s (run %d of %d)", FormatValue(e.Unit(), v), n, measured)
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
	m, err := stats.Median(samples)
	if err != nil {
		return 0, fmt.Errorf("median of %s: %w", key, err)
	}
	return m, nil
}

type scalingPoint struct {
	param float64
	label string
	value float64
}

func judgeScaling(e *Expr, source string, cases []result.Case) result.ThresholdResult {
	r := result.ThresholdResult{Expr: e.Source, Source: source, Observed: math.NaN(), Display: "n/a"}
	groups, order, err := scalingGroups(e, cases)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	worst, worstStep := math.Inf(1), ""
	steps := 0
	for _, g := range order {
		pts := groups[g]
		sort.Slice(pts, func(i, j int) bool { return pts[i].param < pts[j].param })
		for i := 0; i+1 < len(pts); i++ {
			a, b := pts[i], pts[i+1]
			if a.param == b.param {
				r.Error = fmt.Sprintf("two cases have %s=%s; scaling needs distinct values", e.Axis, a.label)
				return r
			}
			if a.param <= 0 || a.value <= 0 {
				r.Error = fmt.Sprintf("%s is %s at %s=%s: efficiency needs positive values", e.Key(), FormatValue(e.Def.Unit, a.value), e.Axis, a.label)
				return r
			}
			eff := (b.value / a.value) / (b.param / a.param)
			steps++
			if eff < worst {
				worst = eff
				worstStep = fmt.Sprintf("%s %s→%s", e.Axis, a.label, b.label)
				if g != "" {
					worstStep += " with " + g
				}
			}
		}
	}
	if steps == 0 {
		r.Error = fmt.Sprintf("scaling needs at least two values of %s; the matrix gave one", e.Axis)
		return r
	}
	r.Observed = worst
	r.Display = fmt.Sprintf("%s (worst step: %s)", units.Number(worst), worstStep)
	r.Pass = e.Op.Holds(worst, e.Bound)
	return r
}

// scalingGroups splits the cases by the values of every axis except
// e.Axis, so that scaling is measured with everything else held equal.
func scalingGroups(e *Expr, cases []result.Case) (map[string][]scalingPoint, []string, error) {
	groups := map[string][]scalingPoint{}
	var order []string
	for i := range cases {
		c := &cases[i]
		label, ok := c.Params[e.Axis]
		if !ok {
			return nil, nil, fmt.Errorf("case %s has no value for %s: scaling needs %s as a matrix axis", c.Name, e.Axis, e.Axis)
		}
		param, err := axisNumber(label)
		if err != nil {
			return nil, nil, fmt.Errorf("case %s: %s=%s: %v", c.Name, e.Axis, label, err)
		}
		v, err := caseMedian(c, e.Key())
		if err != nil {
			return nil, nil, err
		}
		var others []string
		for k, val := range c.Params {
			if k != e.Axis {
				others = append(others, k+"="+val)
			}
		}
		sort.Strings(others)
		g := strings.Join(others, ",")
		if _, seen := groups[g]; !seen {
			order = append(order, g)
		}
		groups[g] = append(groups[g], scalingPoint{param: param, label: label, value: v})
	}
	return groups, order, nil
}

// axisNumber reads a matrix value as a number: plain numbers, and the
// written quantities of the scenario file (durations, sizes, rates).
func axisNumber(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), nil
	}
	q, err := units.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("scaling needs numeric axis values: %v", err)
	}
	return q.Value, nil
}
