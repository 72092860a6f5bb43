package diagnose

import (
	"fmt"
	"math"
	"strings"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// RegressionCategory is the category of a finding that explains a metric
// which regressed against the baseline.
const RegressionCategory = "regression"

// Regression explains one comparison whose verdict is "regression": what
// the metric measures, the numbers, and where to look for the cause, with
// the profile comparison that shows it (go tool pprof -diff_base). c is
// the context of the current run; only its Profiles, to tell whether the
// profile to diff exists or must be taken first, and its AllocDiff (an
// A/B's two allocation profiles, with the functions that grew) are used.
// It returns false for a comparison that did not regress.
func Regression(cmp result.Comparison, c Context) (result.Finding, bool) {
	if cmp.Verdict != RegressionCategory {
		return result.Finding{}, false
	}
	evidence := []string{fmt.Sprintf("%s: median %s → %s (%s), p = %s, tolerance ±%s",
		cmp.Metric, valueOf(cmp.Metric, cmp.Baseline), valueOf(cmp.Metric, cmp.Current), change(cmp.Change), pValue(cmp.P), pct(cmp.Tolerance))}
	if len(cmp.BaselineSamples) > 0 && len(cmp.CurrentSamples) > 0 {
		blo, bhi := span(cmp.BaselineSamples)
		clo, chi := span(cmp.CurrentSamples)
		if clo > bhi || chi < blo {
			evidence = append(evidence, fmt.Sprintf("every one of the %d samples of this run lies outside the baseline's range %s..%s (%d samples)",
				len(cmp.CurrentSamples), valueOf(cmp.Metric, blo), valueOf(cmp.Metric, bhi), len(cmp.BaselineSamples)))
		}
	}
	f := result.Finding{Category: RegressionCategory, Evidence: evidence}
	base := strings.SplitN(cmp.Metric, ".", 2)[0]
	switch {
	case AllocationMetric(cmp.Metric):
		what := "allocations per message rose"
		if base == "gc" {
			what = "the garbage collector works more, which follows from allocating more"
		} else if base == "heap" {
			what = "the heap grew: more is retained or allocated per message"
		}
		f.Summary = cmp.Metric + " regressed: " + what
		if d := c.AllocDiff; d != nil {
			f.Evidence = append(f.Evidence, allocDiffEvidence(d)...)
			f.Advice = []string{allocDiffAdvice(d)}
		} else {
			f.Advice = []string{allocAdvice(c)}
		}
		f.Advice = append(f.Advice, "look for new per-message buffers, maps, string/[]byte conversions and values that escape to the heap (go build -gcflags=-m)")
	case cmp.Metric == metric.CPUPerMessage:
		f.Summary = cmp.Metric + " regressed: each message costs more CPU"
		f.Advice = []string{diffAdvice(c, "cpu", "", "the functions whose CPU time grew are at the top"),
			"if allocations also rose, the extra CPU may be the GC's: check gc.cpu_fraction and the heap profile diff"}
	case base == metric.Lost || base == metric.Duplicates || base == metric.DeadLettered:
		f.Summary = cmp.Metric + " regressed: message accounting changed, which is a correctness problem before it is a performance one"
		f.Advice = []string{"the lost task ids of each repeat are listed under the case; follow one through the service's logs (receive, process, delete)",
			"check changes to acknowledgement, lease extension and retry handling"}
	case base == "goroutines":
		f.Summary = cmp.Metric + " regressed: more goroutines stay alive"
		f.Advice = []string{"goroutines that never exit: a goroutine profile (debug=2) shows where they block; look for sends or receives without a ctx.Done() case"}
	default:
		f.Summary = cmp.Metric + " regressed: a time-based metric, moved by CPU cost, waiting or the machine"
		f.Advice = []string{diffAdvice(c, "cpu", "", "a CPU cost that grew shows at the top; if nothing grew there, the time went to waiting"),
			"time-based metrics move with the machine: if cpu.per_message and the allocations did not move, rerun to rule out a noisy neighbour before looking for a cause in the code"}
	}
	return f, true
}

// AllocationMetric reports whether a metric follows what the code
// allocates (alloc.*, gc.*, heap.*), so that an allocation profile diff
// explains its regression.
func AllocationMetric(key string) bool {
	base := strings.SplitN(key, ".", 2)[0]
	return base == "alloc" || base == "gc" || base == "heap"
}

// AllocDiffLines are the evidence and the advice an allocation regression
// gets from an A/B's allocation profile diff, for a verdict printed as
// lines (runner compare, the test log).
func AllocDiffLines(d *result.AllocDiff) []string {
	return append(allocDiffEvidence(d), allocDiffAdvice(d))
}

// allocGrewShown is how many of an AllocDiff's functions the evidence names.
const allocGrewShown = 3

// allocDiffEvidence names the functions whose allocations per message grew
// the most between the two sides' merged allocation profiles.
func allocDiffEvidence(d *result.AllocDiff) []string {
	if d.Base == "" || d.Current == "" {
		return nil
	}
	if len(d.Grew) == 0 {
		return []string{"no function allocates more per message in the allocation profiles of every round merged: the rise is spread thinner than their sampling noise"}
	}
	var parts []string
	for _, g := range d.Grew[:min(len(d.Grew), allocGrewShown)] {
		parts = append(parts, fmt.Sprintf("%s %s → %s (+%s)", g.Function, bytesText(g.Base), bytesText(g.Current), bytesText(g.Current-g.Base)))
	}
	return []string{"allocated per message, the functions that grew most (allocation profiles of every round merged, base → this run): " + strings.Join(parts, "; ")}
}

// allocDiffAdvice names the pprof comparison of the two sides' merged
// allocation profiles, or says why there is none.
func allocDiffAdvice(d *result.AllocDiff) string {
	note := ""
	if d.Note != "" {
		note = " (" + d.Note + ")"
	}
	switch {
	case d.Base != "" && d.Current != "":
		return fmt.Sprintf("compare the two sides' allocation profiles, every round merged: go tool pprof -sample_index=alloc_space -top -diff_base %s %s (the functions whose allocations grew are at the top; -list FUNC shows their lines)%s",
			d.Base, d.Current, note)
	case d.Current != "":
		return fmt.Sprintf("no allocation profile diff: %s; this run's, every round merged: go tool pprof -sample_index=alloc_space -top %s", d.Note, d.Current)
	}
	return "no allocation profile diff: " + d.Note
}

// allocAdvice points a run judged against a stored baseline at its own
// allocation or heap profile, which has no counterpart on the baseline's
// side, or, when it took neither, at the A/B, which takes both sides'.
func allocAdvice(c Context) string {
	if !c.hasProfile("allocs") {
		if c.hasProfile("heap") {
			return diffAdvice(c, "heap", "-sample_index=alloc_space", "the functions whose allocations grew are at the top")
		}
		return "runner compare -scenario FILE -against REV (the pull-request job's SQSPERF_AGAINST does the same) runs both commits side by side, " +
			"keeps each side's allocation profile and names the functions whose allocations per message grew"
	}
	return "compare this run's allocation profile (allocs.pprof beside the report: the measured window's) with one taken on the baseline's commit: " +
		"go tool pprof -sample_index=alloc_space -top -diff_base BASE/allocs.pprof allocs.pprof (the functions whose allocations grew are at the top); " +
		"runner compare -against REV takes both and names them itself"
}

// diffAdvice names the pprof comparison of this run's profile of kind
// against the baseline's, or says how to take both when this run has none.
func diffAdvice(c Context, kind, flags, what string) string {
	file := kind + ".pprof"
	if flags != "" {
		flags += " "
	}
	cmd := fmt.Sprintf("go tool pprof %s-top -diff_base BASE/%s %s", flags, file, file)
	if c.hasProfile(kind) {
		return fmt.Sprintf("compare this run's %s profile with one taken on the baseline's commit: %s (%s)", kind, cmd, what)
	}
	return fmt.Sprintf("this run took no %s profile: add profile: {%s: true} to the scenario, run it on the baseline's commit and on this one, then %s (%s)",
		kind, kind, cmd, what)
}

func span(xs []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// valueOf formats a flat metric key's value with its registered unit.
func valueOf(key string, v float64) string {
	d, _, ok := metric.Resolve(key)
	switch {
	case !ok:
	case d.Unit == metric.Duration:
		return dur(v)
	case d.Unit == metric.Bytes:
		return bytesText(v)
	case d.Unit == metric.Ratio:
		return pct(v)
	case d.Unit == metric.Rate:
		return fmt.Sprintf("%.4g/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}

func change(c float64) string { return fmt.Sprintf("%+.1f%%", c*100) }

func pValue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
