package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sqsperf/sqsperf/runner/metric"
)

// formatValue renders a value in base units the way people write it
// (12.3ms, 64KiB, 1.2k/s, 12.5%). It stays local until the shared
// threshold.FormatValue is available to every package, so reports do not
// wait on it; both follow the literals the scenario decoder accepts.
func formatValue(u metric.Unit, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch u {
	case metric.Duration:
		return formatDuration(v)
	case metric.Bytes:
		return formatBytes(v)
	case metric.Rate:
		return sig3(v) + "/s"
	case metric.Ratio:
		return sig3(v*100) + "%"
	case metric.Count:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return sig3(v)
	}
	return sig3(v)
}

// formatKey formats the value of a flat metric key ("stage.process.p99"),
// falling back to a plain number for keys the registry does not know.
func formatKey(key string, v float64) string {
	if d, _, ok := metric.Resolve(key); ok {
		return formatValue(d.Unit, v)
	}
	return sig3(v)
}

func formatDuration(s float64) string {
	abs := math.Abs(s)
	switch {
	case abs == 0:
		return "0s"
	case abs < 1e-6:
		return sig3(s*1e9) + "ns"
	case abs < 1e-3:
		return sig3(s*1e6) + "µs"
	case abs < 1:
		return sig3(s*1e3) + "ms"
	case abs < 120:
		return sig3(s) + "s"
	}
	return sig3(s/60) + "m"
}

func formatBytes(b float64) string {
	abs := math.Abs(b)
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for abs >= 1024 && i < len(units)-1 {
		abs /= 1024
		b /= 1024
		i++
	}
	return sig3(b) + units[i]
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
