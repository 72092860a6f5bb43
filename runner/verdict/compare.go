// Package verdict judges a run against a stored baseline: per metric a
// direction, a minimum effect that matters and a Mann-Whitney U test, with
// Holm-Bonferroni correction across the metrics judged together. It is
// the statistics only, as golang.org/x/perf keeps benchmath apart from
// benchfmt: the baselines it judges against are stored and validated by
// runner/baseline, the machines they were measured on described by
// runner/fingerprint, and runner/benchout writes results for benchstat.
package verdict

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/internal/sample"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// Verdicts of a result.Comparison: aliases of the result.Outcome
// constants, kept so that callers written against this package compile.
const (
	Regression  = result.Regression
	Improvement = result.Improvement
	Unchanged   = result.Unchanged
	Info        = result.Info
	Warning     = result.Warning
)

// DefaultAlpha is the significance level of the whole family of metrics
// judged at once (family-wise error rate, after Holm's correction). The
// test is two-sided and only one direction is a regression, so the chance
// that an unchanged build is flagged is at most about DefaultAlpha/2 = 1%:
// the project's bar for false alarms. 0.05 would allow 2.5%, and the A/A
// simulation (sim_test.go) measured 1.3-1.7% with it.
const DefaultAlpha = 0.02

// RecommendedRepeats is the number of repeats per side that the
// simulations in sim_test.go show to be enough: with the default gates and
// tolerances it flags a 15% rise of CPU per message in at least 90% of
// comparisons when the metric's run-to-run noise is 5% (CV), and a
// doubling of allocated bytes always. Fewer than SamplesNeeded per side
// (6 with four gates) can never be significant and yields warnings.
const RecommendedRepeats = 10

// infoKeys are shown next to the gates by default so a reader sees the
// latencies move, but they are never judged: tail latencies of a few
// repeats are too noisy to fail a build on.
var infoKeys = []string{
	metric.Key(metric.LatencyJob, "p50"), metric.Key(metric.LatencyJob, "p99"),
	metric.Key(metric.StageProcess, "p50"), metric.Key(metric.StageProcess, "p99"),
}

// Options tune Compare. The zero value is the default.
type Options struct {
	// Alpha is the family-wise significance level (default DefaultAlpha).
	Alpha float64
	// Metrics are the flat keys to judge. Default: every metric defined
	// with Gate=true (the p50 and p99 of a gated distribution), plus
	// infoKeys reported as information.
	Metrics []string
	// Tolerance overrides the registry's minimum relative effect per key.
	Tolerance map[string]float64
	// MinSamples is a floor on the samples per side; Compare raises it to
	// what the test needs to reach Alpha at all.
	MinSamples int
	// StrictMachine judges machine-dependent metrics even when the
	// baseline was measured on another kind of machine.
	StrictMachine bool
	// TimeAsInfo reports machine-dependent (time-based) metrics without
	// judging them, even on the same kind of machine: the stored-baseline
	// mode, whose baseline was measured on another day and under another
	// load. StrictMachine overrides it.
	TimeAsInfo bool
	// Paired says the i-th baseline sample and the i-th current sample
	// were measured together (round i of an interleaved A/B): each
	// metric is then judged on the per-round ratios (see pairedLogTest).
	Paired bool
	// ScenarioHash, when set, is compared with the baseline's: a changed
	// scenario file makes the comparison suspect and is reported. This is
	// the one place the hash is checked (runner.Judge sets it).
	ScenarioHash string
	// Size is the scale factor (-size) of the current run; 0 means 1. A
	// baseline taken at another size is not compared at all: a scaled run
	// sends fewer messages, so its throughput, durations and per-message
	// costs differ without any change to the service.
	Size float64
}

// fileName names a baseline in messages: its file, or "(in memory)".
func fileName(b *baseline.Baseline) string {
	if b.File() == "" {
		return "(in memory)"
	}
	return b.File()
}

// Regressed reports whether any metric of the report regressed.
func Regressed(r result.BaselineReport) bool {
	for _, c := range r.Comparisons {
		if c.Verdict == Regression {
			return true
		}
	}
	return false
}

type candidate struct {
	key       string
	def       metric.Def
	info      bool   // reported, never judged
	infoWhy   string // why it is only information
	tolerance float64
}

// Compare judges the current case against the baseline. A regression is
// a metric that moved in its bad direction, by more than its tolerance,
// with a Mann-Whitney p-value (two-sided, Holm-corrected over the metrics
// judged together) at or below Alpha. Counts that must be exact (lost,
// duplicates: tolerance 0, lower is better) regress on any rise above
// the baseline's largest value, without a test; see exactCheck.
func Compare(base *baseline.Baseline, cur result.Case, curFP fingerprint.Fingerprint, opt Options) result.BaselineReport {
	if opt.Alpha <= 0 || opt.Alpha >= 1 {
		opt.Alpha = DefaultAlpha
	}
	rep := result.BaselineReport{Found: base != nil}
	if base == nil {
		rep.Warnings = append(rep.Warnings, "no baseline to compare with")
		return rep
	}
	rep.File = base.File()
	same, diffs := base.Fingerprint.SameMachine(curFP)
	rep.SameMachine = same
	if baseSize, runSize := baseline.NormSize(base.Size), baseline.NormSize(opt.Size); baseSize != runSize {
		// Checked before the machine and the scenario hash: a scaled
		// scenario has another hash anyway, and nothing is compared.
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline %s was taken at -size %s and this run at -size %s, so the comparison was skipped (a scaled run moves every metric without any change to the service); for a verdict run at -size %s, or keep baselines of this size in their own -baselines directory",
			fileName(base), baseline.FormatSize(baseSize), baseline.FormatSize(runSize), baseline.FormatSize(baseSize)))
		return rep
	}
	if !same {
		what := "metrics that follow the machine's speed and load are reported as information only; the consumer's own allocations, its largest batches and message accounting are still judged"
		if opt.StrictMachine {
			what = "metrics that follow the machine's speed and load are judged anyway, as requested (strict machine mode)"
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the baseline was measured on another kind of machine (%s): %s; refresh the baseline on this machine to judge everything",
			strings.Join(diffs, "; "), what))
	}
	if opt.ScenarioHash != "" && base.ScenarioHash != "" && opt.ScenarioHash != base.ScenarioHash {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the scenario file changed since baseline %s was taken, so the two may measure different workloads; refresh the baseline with 'runner baseline update' if the change was intended", fileName(base)))
	}

	cands, warns := candidates(opt, same)
	rep.Warnings = append(rep.Warnings, warns...)

	// The family judged by the U test: every candidate with a direction
	// that is not information only and not an exact count.
	// Metrics missing on either side cannot be tested, so they do not
	// count against the others' significance level.
	// A metric that read the same value in every run on both sides (the
	// largest batch asked for, 10 and 10) is no test at all: it is left
	// out of the family rather than make the others' level stricter.
	family := 0
	for _, c := range cands {
		bs, cs := base.Samples[c.key], cur.Samples(c.key)
		if !c.info && !isExactCount(c.def, c.tolerance) && !c.def.Bound && len(bs) > 0 && len(cs) > 0 && !allEqual(bs, cs) {
			family++
		}
	}
	need := SamplesNeeded(opt.Alpha / float64(max(family, 1)))
	need = max(need, opt.MinSamples)

	type tested struct {
		idx int
		p   float64
	}
	var comps []result.Comparison
	var judged []tested
	for _, c := range cands {
		bs, cs := base.Samples[c.key], cur.Samples(c.key)
		cmp := result.Comparison{Case: cur.Name, Metric: c.key, Tolerance: c.tolerance, P: 1,
			BaselineSamples: append([]float64(nil), bs...), CurrentSamples: cs} // charted side by side in the report
		switch {
		case len(bs) == 0 && len(cs) == 0:
			continue
		case len(bs) == 0:
			cmp.Verdict = Warning
			cmp.Current = median(cs)
			cmp.Note = "the baseline has no samples of this metric; refresh the baseline to judge it"
			comps = append(comps, cmp)
			continue
		case len(cs) == 0:
			cmp.Verdict = Warning
			cmp.Baseline = median(bs)
			cmp.Note = "this run did not measure this metric, but the baseline did"
			comps = append(comps, cmp)
			continue
		}
		cmp.Baseline, cmp.Current = median(bs), median(cs)
		var zeroBase bool
		cmp.Change, zeroBase = relativeChange(cmp.Baseline, cmp.Current)
		if isExactCount(c.def, c.tolerance) && !c.info {
			exactCheck(&cmp, bs, cs)
			comps = append(comps, cmp)
			continue
		}
		if c.def.Bound && !c.info {
			boundCheck(&cmp, c.def.Better, c.tolerance, bs, cs)
			comps = append(comps, cmp)
			continue
		}
		if allEqual(bs, cs) && !c.info {
			cmp.Verdict = Unchanged
			cmp.Note = "the same value in every run on both sides"
			comps = append(comps, cmp)
			continue
		}
		if zeroBase {
			cmp.Note = "baseline median is 0, so the change is not relative; "
		}

		u := uTest(bs, cs, opt.Alpha)
		tooFew := min(len(bs), len(cs)) < opt.MinSamples || minPValue(len(bs), len(cs)) > opt.Alpha/float64(max(family, 1))
		if p, change, ok := pairedLogTest(bs, cs); opt.Paired && ok {
			u.P, u.Warnings = p, nil
			cmp.Change = change
			tooFew = len(bs) < minPairs
			cmp.Note += "paired by round; "
		}
		cmp.P = u.P
		switch {
		case c.info:
			cmp.Verdict = Info
			cmp.Note += c.infoWhy + fmt.Sprintf("; uncorrected p=%.3g", u.P)
		case tooFew:
			cmp.Verdict = Warning
			cmp.Note += fmt.Sprintf("too few samples to judge: need %d per side for p<=%g with %s, have %d in the baseline and %d in this run; raise the number of repeats",
				need, opt.Alpha, familyWords(family), len(bs), len(cs))
		default:
			judged = append(judged, tested{idx: len(comps), p: u.P})
			for _, w := range u.Warnings {
				cmp.Note += w.Error() + "; "
			}
		}
		comps = append(comps, cmp)
	}

	ps := make([]float64, len(judged))
	for i, t := range judged {
		ps[i] = t.p
	}
	adjusted := HolmAdjust(ps)
	for i, t := range judged {
		cmp := &comps[t.idx]
		cmp.PUncorrected = t.p
		cmp.P = adjusted[i]
		d, _, _ := metric.Resolve(cmp.Metric)
		decide(cmp, d.Better, cmp.P <= opt.Alpha, opt.Alpha, len(judged))
	}
	for i := range comps {
		comps[i].Note = strings.TrimSuffix(strings.TrimSpace(comps[i].Note), ";")
	}
	rep.Comparisons = comps
	return rep
}

// allEqual reports whether every sample of both sides is the same value.
func allEqual(bs, cs []float64) bool {
	if len(bs) == 0 {
		return false
	}
	differs := func(x float64) bool { return x != bs[0] }
	return !slices.ContainsFunc(bs, differs) && !slices.ContainsFunc(cs, differs)
}

func familyWords(n int) string {
	if n <= 1 {
		return "one metric judged"
	}
	return fmt.Sprintf("Holm's correction over %d metrics", n)
}

// decide sets the verdict of a tested metric from its corrected p-value,
// its change and its tolerance.
func decide(cmp *result.Comparison, better metric.Better, significant bool, alpha float64, family int) {
	beyond := math.Abs(cmp.Change) > cmp.Tolerance || (cmp.Baseline == 0 && cmp.Current != 0)
	worse := better == metric.LowerIsBetter && cmp.Current > cmp.Baseline ||
		better == metric.HigherIsBetter && cmp.Current < cmp.Baseline
	switch {
	case !significant:
		cmp.Verdict = Unchanged
		cmp.Note += fmt.Sprintf("not significant: p=%.3g > %g after %s", cmp.P, alpha, familyWords(family))
	case !beyond:
		cmp.Verdict = Unchanged
		cmp.Note += fmt.Sprintf("significant but within the %.0f%% tolerance", 100*cmp.Tolerance)
	case worse:
		cmp.Verdict = Regression
	default:
		cmp.Verdict = Improvement
	}
}

// isExactCount tells the tallies that must not rise at all: exact counts
// (metric.Def.Exact) where no change is tolerated (lost, duplicates). An
// exact count without a direction is information only (candidate.info)
// before this is asked.
func isExactCount(d metric.Def, tolerance float64) bool {
	return d.Exact && d.Better == metric.LowerIsBetter && tolerance == 0
}

// exactCheck judges an exact tally. A lost message is a fact established
// by id, not a noisy measurement: if any run lost more than the worst
// baseline run, something real broke, however few the samples. A U test
// would need several repeats and would wave through a single run that
// lost messages, which is the opposite of what a tally is for.
func exactCheck(cmp *result.Comparison, base, cur []float64) {
	baseMax, curMax := maxOf(base), maxOf(cur)
	// There is no p-value; 0 says "certain" for a change of a tally and 1
	// "no evidence of one" otherwise, so a p column still reads right.
	cmp.P = 0
	switch {
	case curMax > baseMax:
		cmp.Verdict = Regression
		cmp.Note += fmt.Sprintf("exact count: this run's worst is %g, above the baseline's worst %g (counted by id, so no significance test is needed)", curMax, baseMax)
	case curMax < baseMax:
		cmp.Verdict = Improvement
		cmp.Note += fmt.Sprintf("exact count: this run's worst is %g, below the baseline's worst %g", curMax, baseMax)
	default:
		cmp.Verdict = Unchanged
		cmp.P = 1
		cmp.Note += "exact count: no rise above the baseline's worst"
	}
}

// boundCheck judges a bound of the code (metric.Def.Bound): timing only
// keeps a run from reaching it, so the run's best is compared with the
// baseline's worst, and no test is needed.
func boundCheck(cmp *result.Comparison, better metric.Better, tolerance float64, base, cur []float64) {
	cmp.P = 1
	switch better {
	case metric.HigherIsBetter:
		worst, best := slices.Min(base), slices.Max(cur)
		if best < worst*(1-tolerance) {
			cmp.Verdict, cmp.P = Regression, 0
			cmp.Note += fmt.Sprintf("bound: this run's best %g is below the baseline's worst %g by more than the %g%% tolerance (the code asks for less; timing cannot do that)", best, worst, tolerance*100)
			return
		}
		if slices.Min(cur) > slices.Max(base) {
			cmp.Verdict = Improvement
			cmp.Note += fmt.Sprintf("bound: every run reached %g or more, above the baseline's best %g", slices.Min(cur), slices.Max(base))
			return
		}
	case metric.LowerIsBetter:
		worst, best := slices.Max(base), slices.Min(cur)
		if best > worst*(1+tolerance) {
			cmp.Verdict, cmp.P = Regression, 0
			cmp.Note += fmt.Sprintf("bound: this run's best %g is above the baseline's worst %g by more than the %g%% tolerance", best, worst, tolerance*100)
			return
		}
	}
	cmp.Verdict = Unchanged
	cmp.Note += "bound: within the baseline's range"
}

func candidates(opt Options, sameMachine bool) ([]candidate, []string) {
	var warns []string
	var out []candidate
	seen := map[string]bool{}
	add := func(key string, info bool, why string) {
		if seen[key] {
			return
		}
		d, _, ok := metric.Resolve(key)
		if !ok {
			msg := fmt.Sprintf("unknown metric %q cannot be compared", key)
			if s := metric.Suggest(key); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			warns = append(warns, msg)
			return
		}
		seen[key] = true
		c := candidate{key: key, def: d, info: info, infoWhy: why, tolerance: d.Tolerance}
		if t, ok := opt.Tolerance[key]; ok {
			c.tolerance = t
		}
		switch {
		case c.info:
		case d.Better == metric.NoDirection:
			c.info, c.infoWhy = true, "no better direction, so never a regression"
		case d.MachineDependent && !sameMachine && !opt.StrictMachine:
			c.info, c.infoWhy = true, "follows the machine's speed and load, and the baseline is from another kind of machine, so information only"
		case d.MachineDependent && opt.TimeAsInfo && !opt.StrictMachine:
			c.info, c.infoWhy = true, "follows the machine's speed and load (times, and counts per message that follow batching): a stored baseline cannot judge it; the interleaved A/B against a revision does (runner compare, SQSPERF_AGAINST)"
		}
		out = append(out, c)
	}
	if len(opt.Metrics) > 0 {
		for _, k := range opt.Metrics {
			add(k, false, "")
		}
	} else {
		for _, d := range metric.All() {
			if !d.Gate {
				continue
			}
			if d.Kind == metric.Distribution {
				add(metric.Key(d.Name, "p50"), false, "")
				add(metric.Key(d.Name, "p99"), false, "")
				continue
			}
			add(d.Name, false, "")
		}
		for _, k := range infoKeys {
			add(k, true, "shown for information, not judged by default")
		}
	}
	return out, warns
}

// uTest runs benchmath's Mann-Whitney U test (two-sided). benchmath sorts
// the slices it is given, so it gets copies.
func uTest(base, cur []float64, alpha float64) benchmath.Comparison {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	s1 := benchmath.NewSample(append([]float64(nil), base...), th)
	s2 := benchmath.NewSample(append([]float64(nil), cur...), th)
	c := benchmath.AssumeNothing.Compare(s1, s2)
	// benchmath's own "need N samples" warning assumes a single
	// comparison; Compare words its own with the corrected level.
	c.Warnings = nil
	// The two-sided p is twice the smaller tail, which passes 1 when
	// the run sits at the baseline's median (one run against ten read
	// p=1.09): a probability, so at most 1.
	if math.IsNaN(c.P) || c.P > 1 {
		c.P = 1
	}
	return c
}

// HolmAdjust returns Holm-Bonferroni adjusted p-values, in the order of
// ps: rejecting every hypothesis whose adjusted p is at most alpha keeps
// the chance of any false alarm among them at most alpha, whatever the
// dependence between the metrics.
func HolmAdjust(ps []float64) []float64 {
	k := len(ps)
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]] < ps[order[b]] })
	out := make([]float64, k)
	running := 0.0
	for rank, i := range order {
		adj := math.Min(1, float64(k-rank)*ps[i])
		running = math.Max(running, adj)
		out[i] = running
	}
	return out
}

// minPValue is the smallest two-sided p-value the Mann-Whitney U test can
// give for samples of sizes n and m (no ties): both samples completely
// separated, which is 2 of the C(n+m, n) equally likely orderings.
func minPValue(n, m int) float64 {
	if n == 0 || m == 0 {
		return 1
	}
	// log C(n+m, n) through lgamma keeps large sizes finite.
	lc := lgamma(n+m+1) - lgamma(n+1) - lgamma(m+1)
	return math.Min(1, 2*math.Exp(-lc))
}

func lgamma(x int) float64 {
	v, _ := math.Lgamma(float64(x))
	return v
}

// SamplesNeeded is the smallest number of samples per side for which the
// two-sided Mann-Whitney U test can reach p <= level at all. Fewer
// samples can never show a significant difference, however large.
func SamplesNeeded(level float64) int {
	n := 1
	for minPValue(n, n) > level && n < 1000 {
		n++
	}
	return n
}

// median is 0 for no samples, as a comparison shows it.
func median(xs []float64) float64 {
	m, _ := sample.Median(xs)
	return m
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

// relativeChange is (cur-base)/|base|. With a zero baseline there is no
// relative change; it returns 0 and true.
func relativeChange(base, cur float64) (float64, bool) {
	if base == 0 {
		return 0, true
	}
	return (cur - base) / math.Abs(base), false
}
