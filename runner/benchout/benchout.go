// Package benchout writes a scenario's results in the Go benchmark text
// format, so that benchstat and continuous-benchmarking tools read them
// (runner run -bench FILE; the A/B writes one beside its results). It is
// an output format only: judging a run is runner/verdict's, storing
// baselines runner/baseline's.
package benchout

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/perf/benchfmt"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// Write writes a scenario's results in the Go benchmark text
// format (https://go.dev/design/14313-benchmark-format), so benchstat and
// continuous-benchmarking tools read them. Each case is one benchmark,
// BenchmarkScenario/<case>, with one line per run so the repeats are the
// samples; every metric of the run is a value on that line. The three
// per-message costs use the units benchstat knows (sec/op, allocs/op,
// B/op, one message being one op); other metrics get a unit named after
// them, with "Unit" lines that tell benchstat which direction is better.
func Write(w io.Writer, s *result.Scenario) error {
	if s == nil {
		return fmt.Errorf("benchfmt: no scenario result to write")
	}
	bw := benchfmt.NewWriter(w)
	units := map[string]metric.Def{}
	var unitOrder []string
	var lines []*benchfmt.Result
	config := scenarioConfig(s)
	for _, c := range s.Cases {
		name := benchName(s.Name, c.Name)
		for _, run := range c.Runs {
			keys := make([]string, 0, len(run.Metrics))
			for k := range run.Metrics {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			res := &benchfmt.Result{Config: config, Name: benchfmt.Name(name), Iters: 1}
			for _, k := range keys {
				v := run.Metrics[k]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				unit, d, known := benchUnit(k)
				res.Values = append(res.Values, benchfmt.Value{Value: v, Unit: unit})
				if _, seen := units[unit]; known && !seen {
					units[unit] = d
					unitOrder = append(unitOrder, unit)
				}
			}
			if len(res.Values) > 0 {
				lines = append(lines, res)
			}
		}
	}
	sort.Strings(unitOrder)
	for _, unit := range unitOrder {
		d := units[unit]
		for _, md := range unitMetadata(unit, d) {
			if err := bw.Write(md); err != nil {
				return fmt.Errorf("benchfmt: %w", err)
			}
		}
	}
	for _, res := range lines {
		if err := bw.Write(res); err != nil {
			return fmt.Errorf("benchfmt: %w", err)
		}
	}
	return nil
}

func scenarioConfig(s *result.Scenario) []benchfmt.Config {
	var cfg []benchfmt.Config
	add := func(key, value string) {
		value = strings.Join(strings.Fields(value), " ")
		if value != "" {
			cfg = append(cfg, benchfmt.Config{Key: key, Value: []byte(value), File: true})
		}
	}
	// Standard keys first, under the names benchstat shows.
	env := s.Environment
	add("goos", env["goos"])
	add("goarch", env["goarch"])
	add("cpu", env["cpu_model"])
	add("scenario", s.Name)
	add("scenario-hash", s.Hash)
	rest := map[string]string{}
	for k, v := range env {
		switch k {
		case "goos", "goarch", "cpu_model":
			continue
		}
		if key := configKey(k); key != "" {
			rest[key] = v
		}
	}
	keys := make([]string, 0, len(rest))
	for k := range rest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, rest[k])
	}
	return cfg
}

// configKey makes an environment key a valid benchfmt configuration key:
// no upper case letters and no spaces.
func configKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		switch {
		case unicode.IsSpace(r) || r == ':':
			b.WriteByte('-')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	out := b.String()
	if out == "" || !unicode.IsLetter(rune(out[0])) {
		return ""
	}
	return out
}

// benchName is the benchmark name of a case: "Scenario/<case>". A case of
// a matrix ("scalability/workers=4") keeps its key=value part, which
// benchstat reads as a sub-benchmark configuration.
func benchName(scenario, caseName string) string {
	if caseName == "" {
		caseName = scenario
	}
	return "Scenario/" + strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, caseName)
}

// benchUnit returns the benchfmt unit of a flat metric key and its
// definition (known is false for keys the registry does not define).
func benchUnit(key string) (unit string, d metric.Def, known bool) {
	d, _, known = metric.Resolve(key)
	switch key {
	case metric.CPUPerMessage:
		return "sec/op", d, known
	case metric.AllocPerMessage:
		return "allocs/op", d, known
	case metric.AllocBytesPerMessage:
		return "B/op", d, known
	}
	safe := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, key)
	if !known {
		return safe, d, false
	}
	// The suffixes let benchstat scale values: "-sec" as seconds, "-B" as
	// bytes (binary prefixes), "/s" as a rate.
	switch d.Unit {
	case metric.Duration:
		return safe + "-sec", d, true
	case metric.Bytes:
		return safe + "-B", d, true
	case metric.Rate:
		return safe + "/s", d, true
	}
	return safe, d, true
}

func unitMetadata(unit string, d metric.Def) []*benchfmt.UnitMetadata {
	var out []*benchfmt.UnitMetadata
	add := func(key, value string) {
		out = append(out, &benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: unit, Key: key}, OrigUnit: unit, Value: value,
		})
	}
	switch d.Better {
	case metric.LowerIsBetter:
		add("better", "lower")
	case metric.HigherIsBetter:
		add("better", "higher")
	}
	if d.Exact {
		// Tallies by id are exact, not noisy samples.
		add("assume", "exact")
	}
	return out
}
