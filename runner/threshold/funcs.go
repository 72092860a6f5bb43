package threshold

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/units"
)

// A threshold function, FUNC(REF, AXIS), judges a metric across a matrix
// axis: one matrix-wide result, not one per case. The parser, Check,
// Ref and Judge know functions only through this table; a function is one
// file that calls register from init (scaling.go is the model) and its
// test.

// Point is one case on a function's axis.
type Point struct {
	// Param is the axis value as a number (durations in seconds, sizes in
	// bytes), Label as written in the matrix ("4", "10ms").
	Param float64
	Label string
	// Value is the case's median of the metric across its runs.
	Value float64
}

// Series is the cases that share the values of every other axis, ordered
// by the function's axis, with at least one point and no axis value twice.
type Series struct {
	// Others names the other axes' values ("service.payload=1KiB"), ""
	// when the axis is the matrix's only one.
	Others string
	Points []Point
}

// Func is a threshold function.
type Func struct {
	// Name is how thresholds call it: "scaling".
	Name string
	// Unit is the unit of the observed value (and so of the bound).
	// Number also accepts a percentage, as an efficiency reads naturally
	// as one: scaling(...) >= 80%.
	Unit metric.Unit
	// Accepts returns "" when the function applies to metric def (key is
	// the reference as written, "throughput" or "stage.process.p99"), else
	// the parse error saying why not.
	Accepts func(def metric.Def, key string) string
	// Observe turns the series (at least one with two points or more) into
	// the observed value and its display; an error means the threshold
	// could not be judged, and fails.
	Observe func(e *Expr, series []Series) (observed float64, display string, err error)
}

// funcs holds the registered functions by name; funcNames keeps the
// registration order, for error messages and the registry's test.
var (
	funcs     = map[string]Func{}
	funcNames []string
)

// register adds a threshold function. Each function's file calls it once
// from init; TestFuncsRegisteredOnce checks that no name comes twice.
func register(f Func) {
	funcs[f.Name] = f
	funcNames = append(funcNames, f.Name)
}

// lookupFunc returns the function called name.
func lookupFunc(name string) (Func, bool) {
	f, ok := funcs[name]
	return f, ok
}

// judgeFunc gives the one matrix-wide result of a function threshold.
func judgeFunc(e *Expr, source string, cases []result.Case) result.ThresholdResult {
	r := result.ThresholdResult{Expr: e.Source, Source: source, Observed: nan(), Display: "n/a"}
	f, ok := lookupFunc(e.Func)
	if !ok { // Parse never makes such an Expr; one built by hand must still not pass.
		r.Error = fmt.Sprintf("unknown function %s", e.Func)
		return r
	}
	series, err := axisSeries(e, cases)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	observed, display, err := f.Observe(e, series)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Observed, r.Display = observed, display
	r.Pass = e.Op.Holds(observed, e.Bound)
	return r
}

// axisSeries splits the cases by the values of every axis except e.Axis,
// so that a function compares cases with everything else held equal, and
// orders each series by the axis.
func axisSeries(e *Expr, cases []result.Case) ([]Series, error) {
	byOthers := map[string]int{}
	var out []Series
	for i := range cases {
		c := &cases[i]
		label, ok := c.Params[e.Axis]
		if !ok {
			return nil, fmt.Errorf("case %s has no value for %s: %s needs %s as a matrix axis", c.Name, e.Axis, e.Func, e.Axis)
		}
		param, err := axisNumber(e.Func, label)
		if err != nil {
			return nil, fmt.Errorf("case %s: %s=%s: %v", c.Name, e.Axis, label, err)
		}
		v, err := caseMedian(c, e.Key())
		if err != nil {
			return nil, err
		}
		var others []string
		for k, val := range c.Params {
			if k != e.Axis {
				others = append(others, k+"="+val)
			}
		}
		sort.Strings(others)
		g := strings.Join(others, ",")
		j, seen := byOthers[g]
		if !seen {
			j = len(out)
			byOthers[g] = j
			out = append(out, Series{Others: g})
		}
		out[j].Points = append(out[j].Points, Point{Param: param, Label: label, Value: v})
	}
	longest := 0
	for _, s := range out {
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].Param < s.Points[j].Param })
		for i := 0; i+1 < len(s.Points); i++ {
			if s.Points[i].Param == s.Points[i+1].Param {
				return nil, fmt.Errorf("two cases have %s=%s; %s needs distinct values", e.Axis, s.Points[i].Label, e.Func)
			}
		}
		longest = max(longest, len(s.Points))
	}
	if longest < 2 {
		return nil, fmt.Errorf("%s needs at least two values of %s; the matrix gave one", e.Func, e.Axis)
	}
	return out, nil
}

// axisNumber reads a matrix value as a number: plain numbers, and the
// written quantities of the scenario file (durations, sizes, rates).
func axisNumber(fn, s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), nil
	}
	q, err := units.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%s needs numeric axis values: %v", fn, err)
	}
	return q.Value, nil
}
