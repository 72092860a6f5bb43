// Package metric is the one registry of what the runner measures: every
// metric's name, unit, which direction is better, and whether its value
// depends on the machine. Scenario thresholds, baselines, reports and the
// verdict all look names up here, so a misspelled metric is an error in
// one place instead of a silent pass in another.
package metric

import (
	"sort"
	"strings"

	"github.com/sqsperf/sqsperf/runner/internal/suggest"
	"github.com/sqsperf/sqsperf/runner/units"
)

// Unit says how a metric's value is stored and how a threshold literal for
// it must be written. It is units.Unit: the units package defines units
// once, with their names, literal forms and formatting, so that the
// parser, the metric registry and the reports cannot disagree.
type Unit = units.Unit

// The units, as metric definitions name them.
const (
	Count    = units.Count         // a plain number of things: 0, 12
	Duration = units.Duration      // seconds; written 10ms, 2s, 1.5m
	Bytes    = units.Bytes         // bytes; written 64KiB, 10MB, 512B
	Rate     = units.Rate          // per second; written 50/s, 3000/min
	Ratio    = units.Ratio         // fraction 0..1; written 20% or 0.2
	Number   = units.Dimensionless // a dimensionless number, such as a scaling efficiency
)

// Better says which direction of change is an improvement.
type Better int

const (
	LowerIsBetter Better = iota
	HigherIsBetter
	NoDirection // informational: never a regression
)

func (b Better) String() string {
	switch b {
	case LowerIsBetter:
		return "lower"
	case HigherIsBetter:
		return "higher"
	}
	return "none"
}

// Kind separates single values from distributions. A distribution is
// stored as one scalar per statistic ("stage.process.p99") and is named in
// thresholds through a function: p99(stage.process).
type Kind int

const (
	Scalar Kind = iota
	Distribution
)

// Stats are the statistics stored for every distribution, in this order.
var Stats = []string{"p50", "p90", "p95", "p99", "max", "mean"}

// Def defines one metric.
type Def struct {
	Name   string
	Kind   Kind
	Unit   Unit
	Better Better
	// MachineDependent is true for time-based metrics whose values move
	// with the CPU model, core count and Go version. A baseline taken on
	// another kind of machine reports them as information only.
	MachineDependent bool
	// Tolerance is the default minimum relative change that matters to
	// the regression verdict (0.10 is 10%). Noisy wall-clock metrics get
	// wider tolerances than CPU time and allocation counts.
	Tolerance float64
	// Gate is true for metrics judged against a baseline by default.
	Gate bool
	// Exact marks a tally established by message id (lost, duplicates,
	// crashes, processed, ...): the same on any machine, never noise. A
	// threshold on it must hold in every run, not on the median
	// (threshold.EveryRun); against a baseline it must not rise at all
	// when lower is better and no change is tolerated (verdict), and the
	// benchmark format marks it "assume: exact". Only a Count that is not
	// machine dependent can be exact (metric_test.go checks it).
	Exact bool
	// Bound marks a property of the code read as the extreme of a run,
	// such as the largest batch the consumer asked for: timing can only
	// keep a run from reaching it, never carry it past. Against a
	// baseline it needs no significance test: it regressed when even the
	// run's best falls short of the baseline's worst by more than the
	// tolerance, which one run can show (memory.yaml has one repeat).
	Bound bool
	Help  string
}

var registry = map[string]Def{}

func def(d Def) {
	if _, dup := registry[d.Name]; dup {
		panic("metric: duplicate definition of " + d.Name)
	}
	registry[d.Name] = d
}

// Register adds a metric definition from an init function. Nothing in this
// module calls it: every built-in metric, probes' included, is defined in
// defs.go. It is the hook for a user handler that adds its own
// measurements; it panics on a duplicate name because that is a
// programming error found at start-up, before any scenario runs.
func Register(d Def) { def(d) }

// Lookup returns the definition of a metric or distribution by its base
// name ("throughput", "stage.process").
func Lookup(name string) (Def, bool) {
	d, ok := registry[name]
	return d, ok
}

// All returns every definition sorted by name.
func All() []Def {
	out := make([]Def, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Key returns the flat key under which a statistic of a distribution is
// stored: Key("stage.process", "p99") == "stage.process.p99". For a scalar
// stat must be "".
func Key(name, stat string) string {
	if stat == "" {
		return name
	}
	return name + "." + stat
}

// Resolve maps a flat key back to its definition and statistic:
// "stage.process.p99" -> (stage.process, "p99"); "throughput" -> (throughput, "").
func Resolve(key string) (Def, string, bool) {
	if d, ok := registry[key]; ok && d.Kind == Scalar {
		return d, "", true
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		base, stat := key[:i], key[i+1:]
		if d, ok := registry[base]; ok && d.Kind == Distribution && IsStat(stat) {
			return d, stat, true
		}
	}
	return Def{}, "", false
}

// IsStat reports whether s is one of Stats.
func IsStat(s string) bool {
	for _, st := range Stats {
		if st == s {
			return true
		}
	}
	return false
}

// Suggest returns the registered name closest to a misspelled one, or "".
func Suggest(name string) string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names) // ties resolve the same way on every run
	return suggest.Closest(name, names)
}
