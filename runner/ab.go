package runner

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/sqsperf/sqsperf/runner/abtest"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// ABOptions say how a scenario is judged against a revision.
type ABOptions struct {
	// Rounds per side; 0 means DefaultABRounds.
	Rounds int
	// Confirm is how many fresh sets of rounds must regress again before a
	// regression is reported (as JudgeOptions.Confirm).
	Confirm int
	// OutDir keeps every round's output ("" for temporary).
	OutDir string
	// TimeAsInfo reports time-based thresholds without judging them.
	TimeAsInfo bool
	// Progress receives a line when a regression is being confirmed.
	Progress func(format string, args ...any)
}

// DefaultABRounds is the rounds per side of the pull-request verdict. With
// the default gates (about ten metrics in Holm's family at alpha 0.02) the
// Mann-Whitney test needs 6 per side to reach significance at all; 8
// gives it the power to see a 15% change at the run-to-run noise measured
// on shared runners (baselines/README.md), and keeps the suite inside the
// 15-minute budget of the pull-request job.
const DefaultABRounds = 8

// ABTolerances are the minimum effects of the interleaved A/B, tighter
// than the registry's: the registry's tolerances are those of stored
// baselines, where a day's drift of the machine and another load (-9% of
// cpu.per_message two days apart; receives per task +33% and allocated
// bytes +12% under another load) must not fail a build, while
// interleaved sides share the drift and the load.
func ABTolerances() map[string]float64 {
	return map[string]float64{
		metric.CPUPerMessage:        0.05,
		metric.AllocPerMessage:      0.05,
		metric.AllocBytesPerMessage: 0.05,
		metric.AllocOwnBytes:        0.10, // sampled: about 6% noise per run
		metric.AllocOwn:             0.10,
		metric.SQSRequests:          0.25,
		metric.SQSRequestsReceive:   0.25,
		metric.SQSRequestsDelete:    0.25,
		metric.HeapLiveMax:          0.20, // both sides in fresh processes: no history to allow for
	}
}

// JudgeAgainst runs the scenario file with the session's two runners in
// alternation (A = the revision, B = the working tree), judges B's
// thresholds on every round's run, and compares B with A metric by metric:
// every metric, time-based ones included, since both ran on this machine
// in the same minutes. A regression is confirmed before it is reported:
// fresh rounds are run and it must hold over all the rounds together. The result is B's, with the comparison as its baseline
// report, so it is written and read like any other run's.
func JudgeAgainst(ctx context.Context, s *abtest.Session, sc *scenario.Scenario, opt ABOptions) (*result.Scenario, exitcode.Code, error) {
	rounds := opt.Rounds
	if rounds <= 0 {
		rounds = DefaultABRounds
	}
	attempt := 0
	outDir := func() string {
		if opt.OutDir == "" {
			return ""
		}
		if attempt == 0 {
			return opt.OutDir
		}
		return fmt.Sprintf("%s/confirm-%d", opt.OutDir, attempt)
	}
	ab, err := s.Compare(ctx, sc.File, rounds, outDir())
	if err != nil {
		return nil, exitcode.Environment, exitcode.Wrap(exitcode.Environment, err)
	}
	res, code := judgeAB(ab, s.Label(), sc, opt)
	for attempt = 1; attempt <= opt.Confirm && (code == exitcode.Regression || code == exitcode.OK && suspect(res) != ""); attempt++ {
		first := regressedMetrics(res)
		flagged := first != ""
		if !flagged {
			first = suspect(res)
		}
		if opt.Progress != nil {
			what := "regression"
			if !flagged {
				what = "possible regression (not yet significant)"
			}
			opt.Progress("%s: %s in %s; running %d more rounds per side and judging all of them (%d of %d)", sc.Name, what, first, rounds, attempt, opt.Confirm)
		}
		again, err := s.Compare(ctx, sc.File, rounds, outDir())
		if err != nil {
			return res, exitcode.Environment, exitcode.Wrap(exitcode.Environment, err)
		}
		ab = s.Combine(ab, again)
		res, code = judgeAB(ab, s.Label(), sc, opt)
		switch {
		case code == exitcode.Regression:
			res.Baseline.Warnings = append(res.Baseline.Warnings,
				fmt.Sprintf("confirmed: the first rounds showed %s, and it holds over them and %d fresh rounds per side together", first, rounds))
		case flagged:
			res.Baseline.Warnings = append(res.Baseline.Warnings,
				fmt.Sprintf("a regression in %s flagged by the first rounds did not hold once %d fresh rounds per side were added: treated as machine noise", first, rounds))
		}
	}
	return res, code, nil
}

// suspectP is the bar of a possible regression: a gated metric that
// moved beyond its tolerance in the bad direction with its test's own
// p-value (before Holm's correction) at or below it gets fresh rounds,
// and the verdict is then taken on all the rounds together, corrected, at
// the usual alpha. Eight rounds on a loaded machine left a real +13% at
// p=0.023, just short of 0.02, and beside a second measuring job a real
// +10% at a corrected p of 0.94 (uncorrected 0.08: one round of eight
// ran against the neighbour's burst); sixteen settle most. An unchanged
// build rarely comes this close, and when it does the added rounds
// dilute the coincidence.
const suspectP = 0.1

// suspect names the metrics that moved like a regression without (yet)
// being significant, or "".
func suspect(res *result.Scenario) string {
	if res.Baseline == nil {
		return ""
	}
	var names []string
	for _, c := range res.Baseline.Comparisons {
		d, _, ok := metric.Resolve(c.Metric)
		if !ok || c.Verdict != result.Unchanged || c.PUncorrected == 0 || c.PUncorrected > suspectP || math.Abs(c.Change) <= c.Tolerance {
			continue
		}
		if d.Better == metric.LowerIsBetter && c.Change > 0 || d.Better == metric.HigherIsBetter && c.Change < 0 {
			names = append(names, fmt.Sprintf("%s [%s] %+.1f%% p=%.2g (uncorrected)", c.Metric, c.Case, c.Change*100, c.PUncorrected))
		}
	}
	return strings.Join(names, ", ")
}

// judgeAB turns an A/B comparison into B's judged result.
func judgeAB(ab *abtest.Result, label string, sc *scenario.Scenario, opt ABOptions) (*result.Scenario, exitcode.Code) {
	res := ab.B
	code := Judge(res, sc, JudgeOptions{TimeAsInfo: opt.TimeAsInfo})
	rep := &result.BaselineReport{File: "A/B against " + label, Found: true, SameMachine: true}
	for _, c := range ab.Cases {
		rep.Warnings = append(rep.Warnings, c.Report.Warnings...)
		for _, cmp := range c.Report.Comparisons {
			cmp.Case = c.Name
			rep.Comparisons = append(rep.Comparisons, cmp)
		}
		if c.Allocs != nil {
			rep.AllocDiffs = append(rep.AllocDiffs, *c.Allocs)
		}
	}
	res.Baseline = rep
	if code == exitcode.OK && verdict.Regressed(*rep) {
		res.Verdict = result.VerdictRegression
		code = exitcode.Regression
	}
	return res, code
}
