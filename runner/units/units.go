// Package units parses and formats quantities the way people write them in
// scenario files and thresholds: durations (10ms, 2s, 1.5m), sizes (64KiB,
// 10MB, 512B), rates (50/s, 3000/min) and percentages (20%). Values are
// returned in base units (seconds or time.Duration, bytes, per second,
// fractions) so that every consumer compares like with like.
//
// A bare number is never silently given a unit: "10" for a duration is an
// error that says to write 10ms or 10s. Only 0 is accepted bare, because
// zero means the same in every unit.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dim is the dimension of a written quantity.
type Dim int

const (
	Plain   Dim = iota // a bare number: 0, 12, 0.8
	Time               // 10ms, 2s
	Size               // 64KiB, 10MB
	PerTime            // 50/s, 3000/min
	Percent            // 20%
)

func (d Dim) String() string {
	switch d {
	case Plain:
		return "number"
	case Time:
		return "duration"
	case Size:
		return "size"
	case PerTime:
		return "rate"
	case Percent:
		return "percentage"
	}
	return fmt.Sprintf("dim(%d)", int(d))
}

// Quantity is a parsed literal: Value in base units (seconds, bytes, per
// second, fraction) and the dimension it was written in.
type Quantity struct {
	Value float64
	Dim   Dim
}

var timeUnits = map[string]float64{
	"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
	"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600,
}

var sizeUnits = map[string]float64{
	"B":  1,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
}

// ParseQuantity parses any literal: a number optionally followed by a unit
// (spaces between them are allowed). The dimension comes from the unit.
func ParseQuantity(s string) (Quantity, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Quantity{}, errors.New("empty value")
	}
	numEnd := numberPrefix(s)
	if numEnd == 0 {
		return Quantity{}, fmt.Errorf("%q is not a number with an optional unit", s)
	}
	num, err := strconv.ParseFloat(s[:numEnd], 64)
	if err != nil || math.IsInf(num, 0) || math.IsNaN(num) {
		return Quantity{}, fmt.Errorf("%q is not a finite number", s[:numEnd])
	}
	unit := strings.TrimSpace(s[numEnd:])
	if unit == "" {
		return Quantity{Value: num, Dim: Plain}, nil
	}
	if unit == "%" {
		return Quantity{Value: num / 100, Dim: Percent}, nil
	}
	if strings.HasPrefix(unit, "/") {
		per := strings.TrimSpace(unit[1:])
		f, ok := timeUnits[per]
		if !ok {
			return Quantity{}, fmt.Errorf("unknown rate unit %q: write /s, /min or /h", unit)
		}
		return Quantity{Value: num / f, Dim: PerTime}, nil
	}
	if f, ok := timeUnits[unit]; ok {
		return Quantity{Value: num * f, Dim: Time}, nil
	}
	if f, ok := sizeUnits[unit]; ok {
		return Quantity{Value: num * f, Dim: Size}, nil
	}
	if f, ok := sizeUnits[fixSizeCase(unit)]; ok {
		return Quantity{}, fmt.Errorf("unknown unit %q: did you mean %s (%g bytes)?", unit, fixSizeCase(unit), f)
	}
	return Quantity{}, fmt.Errorf("unknown unit %q: durations use ns, us, ms, s, m, h; sizes B, KB, MB, GB, KiB, MiB, GiB; rates /s, /min, /h; percentages %%", unit)
}

// numberPrefix returns the length of the leading decimal number of s:
// an optional sign, digits, an optional fraction. Exponents are not
// accepted because "1e3ms" reads badly and "e" would clash with units.
func numberPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	return i
}

// fixSizeCase maps common miscasings (kib, mb, Mib) to the canonical unit.
func fixSizeCase(u string) string {
	for canon := range sizeUnits {
		if strings.EqualFold(canon, u) {
			if canon == "kB" {
				return "KB"
			}
			return canon
		}
	}
	return u
}

// ParseDuration parses a duration such as 10ms, 2s or 1.5m. Go's forms
// such as 1m30s are accepted too. Bare 0 is accepted.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	q, err := ParseQuantity(s)
	if err != nil {
		// Go's compound durations (1m30s, 1h2m) are not single quantities.
		if d, gerr := time.ParseDuration(s); gerr == nil {
			return d, nil
		}
		return 0, err
	}
	switch {
	case q.Dim == Time:
	case q.Dim == Plain && q.Value == 0:
	case q.Dim == Plain:
		return 0, fmt.Errorf("%s has no unit: write a duration such as %sms or %ss", s, s, s)
	default:
		return 0, fmt.Errorf("%s is a %s, not a duration: write a duration such as 50ms or 2s", s, q.Dim)
	}
	ns := q.Value * 1e9
	if math.Abs(ns) > math.MaxInt64 {
		return 0, fmt.Errorf("%s is too long a duration", s)
	}
	return time.Duration(math.Round(ns)), nil
}

// ParseSize parses a size in bytes such as 512B, 64KiB or 10MB (KB, MB,
// GB are powers of 1000; KiB, MiB, GiB powers of 1024). Bare 0 is accepted.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	q, err := ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	switch {
	case q.Dim == Size:
	case q.Dim == Plain && q.Value == 0:
	case q.Dim == Plain:
		return 0, fmt.Errorf("%s has no unit: write a size such as %sB or %sKiB", s, s, s)
	default:
		return 0, fmt.Errorf("%s is a %s, not a size: write a size such as 64KiB or 10MB", s, q.Dim)
	}
	if math.Abs(q.Value) > 1<<62 {
		return 0, fmt.Errorf("%s is too large a size", s)
	}
	return int64(math.Round(q.Value)), nil
}

// ParseRate parses a rate such as 50/s or 3000/min and returns it per
// second. Bare 0 is accepted.
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	q, err := ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	switch {
	case q.Dim == PerTime:
	case q.Dim == Plain && q.Value == 0:
	case q.Dim == Plain:
		return 0, fmt.Errorf("%s has no unit: write a rate such as %s/s or %s/min", s, s, s)
	default:
		return 0, fmt.Errorf("%s is a %s, not a rate: write a rate such as 50/s or 3000/min", s, q.Dim)
	}
	return q.Value, nil
}

// ParseRatio parses a share written as a percentage (20%) or a fraction
// (0.2) and returns the fraction.
func ParseRatio(s string) (float64, error) {
	s = strings.TrimSpace(s)
	q, err := ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	switch q.Dim {
	case Percent, Plain:
		return q.Value, nil
	}
	return 0, fmt.Errorf("%s is a %s, not a share: write a percentage such as 20%% or a fraction such as 0.2", s, q.Dim)
}

// FormatDuration formats seconds with three significant digits in the
// largest unit that keeps the number at least 1: 12.3ms, 1.5s, 2.5m.
func FormatDuration(seconds float64) string {
	if special, ok := formatSpecial(seconds); ok {
		return special
	}
	a := math.Abs(seconds)
	switch {
	case a == 0:
		return "0s"
	case a < 1e-6:
		return Number(seconds*1e9) + "ns"
	case a < 1e-3:
		return Number(seconds*1e6) + "µs"
	case a < 1:
		return Number(seconds*1e3) + "ms"
	case a < 60:
		return Number(seconds) + "s"
	case a < 3600:
		return Number(seconds/60) + "m"
	}
	return Number(seconds/3600) + "h"
}

// FormatSize formats bytes in binary units: 512B, 1.5KiB, 12.3MiB.
func FormatSize(bytes float64) string {
	if special, ok := formatSpecial(bytes); ok {
		return special
	}
	a := math.Abs(bytes)
	for _, u := range []struct {
		name string
		size float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if a >= u.size {
			return Number(bytes/u.size) + u.name
		}
	}
	return Number(bytes) + "B"
}

// FormatRate formats a per-second rate: 45.1/s.
func FormatRate(perSecond float64) string {
	if special, ok := formatSpecial(perSecond); ok {
		return special
	}
	return Number(perSecond) + "/s"
}

// FormatPercent formats a fraction as a percentage: 0.032 -> 3.2%.
func FormatPercent(fraction float64) string {
	if special, ok := formatSpecial(fraction); ok {
		return special
	}
	return Number(fraction*100) + "%"
}

// Number formats v with about three significant digits and no trailing
// zeros: 12.3, 1.5, 0.93, 1234.
func Number(v float64) string {
	if special, ok := formatSpecial(v); ok {
		return special
	}
	a := math.Abs(v)
	var s string
	switch {
	case a >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1 || a == 0:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
		if strings.ContainsAny(s, "e") {
			s = strconv.FormatFloat(v, 'f', 6, 64)
		}
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func formatSpecial(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "n/a", true
	case math.IsInf(v, 1):
		return "+Inf", true
	case math.IsInf(v, -1):
		return "-Inf", true
	}
	return "", false
}
