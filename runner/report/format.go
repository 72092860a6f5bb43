package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/units"
)

// formatValue renders a value in base units the way the scenario files
// write it (12.3ms, 64KiB, 45.1/s, 12.5%), through the same function the
// threshold verdicts use (units.Format), so that a value reads the same
// everywhere.
func formatValue(u metric.Unit, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return units.Format(u, v)
}

// formatKey formats the value of a flat metric key ("stage.process.p99"),
// falling back to a plain number for keys the registry does not know.
func formatKey(key string, v float64) string {
	if d, _, ok := metric.Resolve(key); ok {
		return formatValue(d.Unit, v)
	}
	return sig3(v)
}

// sig3 prints about three significant digits without trailing zeros.
func sig3(v float64) string {
	abs := math.Abs(v)
	var s string
	switch {
	case abs >= 1e6:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case abs >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case abs >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case abs >= 0.01 || abs == 0:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// formatChange renders a relative change as a signed percentage.
func formatChange(c float64) string {
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return "n/a"
	}
	p := c * 100
	sign := "+"
	if p < 0 {
		sign = "-"
		p = -p
	}
	return fmt.Sprintf("%s%s%%", sign, sig3(p))
}

// formatP renders a p-value; tiny values read as an upper bound.
func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.001:
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
