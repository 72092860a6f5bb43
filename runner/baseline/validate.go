package baseline

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/sqsperf/sqsperf/runner/metric"
)

// MaxFileBytes caps the size of a baseline file. A real one is about
// 12 KB (40-odd metrics, ten repeats); reading an 84 MB file took 775 MB
// of memory, so anything this large is a mistake, refused before it is
// read.
const MaxFileBytes = 16 << 20

// MaxSamples caps the samples of one metric. A baseline holds one per
// repeat, and a scenario allows at most 100 repeats; the cap leaves room
// for -repeats while refusing lists that no run could have produced.
const MaxSamples = 10_000

// NormSize returns the scale factor a stored or requested size stands
// for: 0 (not set, as in files written before sizes were recorded) is
// the scenario as written, 1.
func NormSize(size float64) float64 {
	if size == 0 {
		return 1
	}
	return size
}

// FormatSize writes a scale factor the way -size takes it.
func FormatSize(size float64) string {
	return strconv.FormatFloat(NormSize(size), 'g', -1, 64)
}

// readCapped reads a whole file unless it is larger than
// MaxFileBytes. The size is checked before reading, and the read is
// bounded too, because the file can grow after the check (or be a pipe
// whose size is unknown).
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory, not a baseline file")
	}
	if st.Size() > MaxFileBytes {
		return nil, tooLarge(st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

func tooLarge(n int64) error {
	return fmt.Errorf("the file is %d bytes, more than the %d MiB a baseline may hold (a real one is a few KB)", n, MaxFileBytes>>20)
}

// checkSamples refuses samples no run can have produced: values that are
// not finite, negative values of metrics that cannot be negative, and
// empty or huge lists. A baseline holding them would judge every run
// against nonsense. Keys are checked in order so the error is the same
// on every load.
func checkSamples(samples map[string][]float64) error {
	if samples == nil {
		return errors.New(`field "samples" is missing`)
	}
	keys := make([]string, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		vs := samples[key]
		if key == "" {
			return errors.New(`field "samples" has an empty metric key`)
		}
		if len(vs) == 0 {
			return fmt.Errorf("samples of %q are empty", key)
		}
		if len(vs) > MaxSamples {
			return fmt.Errorf("samples of %q hold %d values; a baseline holds one per repeat, at most %d", key, len(vs), MaxSamples)
		}
		def, _, known := metric.Resolve(key)
		for i, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("samples of %q: repeat %d is %v, which no run measures", key, i+1, v)
			}
			if v < 0 && known && nonNegative(def) {
				return fmt.Errorf("samples of %q: repeat %d is %v, but a %s cannot be negative", key, i+1, v, def.Unit)
			}
		}
	}
	return nil
}

// nonNegative reports whether a metric's values are never below zero.
// Counts, durations, rates, sizes and shares are not, by their unit; the
// registry has no sign of its own, so the metrics that measure a change
// (a slope per batch, a growth relative to the start) are recognised by
// name: a heap that shrinks has a negative slope.
func nonNegative(d metric.Def) bool {
	if strings.HasSuffix(d.Name, ".slope") || strings.HasSuffix(d.Name, ".slope_lower") || strings.HasSuffix(d.Name, ".growth") {
		return false
	}
	switch d.Unit {
	case metric.Count, metric.Duration, metric.Rate, metric.Bytes, metric.Ratio:
		return true
	}
	return false
}

// belongsTo checks that the baseline was taken for this scenario case. A
// file without a case name is its scenario's single case.
func (b *Baseline) belongsTo(scenario, caseName string) error {
	if caseName == "" {
		caseName = scenario
	}
	fileCase := b.Case
	if fileCase == "" {
		fileCase = b.Scenario
	}
	if b.Scenario != scenario || fileCase != caseName {
		return fmt.Errorf("the file is the baseline of scenario %q case %q, not of scenario %q case %q (copied, renamed or merged from another scenario?)",
			b.Scenario, fileCase, scenario, caseName)
	}
	return nil
}
