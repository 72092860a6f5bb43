package units

import "fmt"

// Unit says how a value is stored and how a literal for it must be
// written. Values are always stored in base units: seconds, bytes, events
// per second, fractions (0..1), plain counts. It is the unit of a metric
// (metric.Unit is this type) and of what a threshold compares; Dim is the
// dimension a literal was written in, and Unit.Accepts ties the two.
type Unit int

const (
	Count         Unit = iota // a plain number of things: 0, 12
	Duration                  // seconds; written 10ms, 2s, 1.5m
	Bytes                     // bytes; written 64KiB, 10MB, 512B
	Rate                      // per second; written 50/s, 3000/min
	Ratio                     // fraction 0..1; written 20% or 0.2
	Dimensionless             // a plain number, such as a scaling efficiency (metric.Number)
)

// String is the unit's name as reports and baselines spell it.
func (u Unit) String() string {
	switch u {
	case Count:
		return "count"
	case Duration:
		return "duration"
	case Bytes:
		return "bytes"
	case Rate:
		return "rate"
	case Ratio:
		return "ratio"
	case Dimensionless:
		return "number"
	}
	return fmt.Sprintf("unit(%d)", int(u))
}

// Example returns how a literal of this unit is written, for error messages.
func (u Unit) Example() string {
	switch u {
	case Duration:
		return "a duration such as 50ms or 2s"
	case Bytes:
		return "a size such as 64KiB or 10MB"
	case Rate:
		return "a rate such as 50/s"
	case Ratio:
		return "a percentage such as 20% (or a fraction such as 0.2)"
	case Count:
		return "a whole number such as 0 or 10"
	}
	return "a number such as 0.8"
}

// Noun names what a value of this unit is, for error messages: "ref is
// a duration, so 50 does not fit".
func (u Unit) Noun() string {
	switch u {
	case Duration:
		return "a duration"
	case Bytes:
		return "a size in bytes"
	case Rate:
		return "a rate"
	case Ratio:
		return "a share"
	case Count:
		return "a count"
	}
	return "a plain number"
}

// Dim is the dimension a literal of this unit is written in (a ratio
// also accepts Plain, a fraction; see Accepts).
func (u Unit) Dim() Dim {
	switch u {
	case Duration:
		return Time
	case Bytes:
		return Size
	case Rate:
		return PerTime
	case Ratio:
		return Percent
	}
	return Plain
}

// Format formats a value stored in base units the way it is written:
// "12.3ms", "45.1/s", "3.2%", "1.5MiB", "12", "0.93". Thresholds, reports
// and the CLI all format through it, so a value reads the same everywhere.
func Format(u Unit, v float64) string {
	switch u {
	case Duration:
		return FormatDuration(v)
	case Bytes:
		return FormatSize(v)
	case Rate:
		return FormatRate(v)
	case Ratio:
		return FormatPercent(v)
	}
	return Number(v)
}
