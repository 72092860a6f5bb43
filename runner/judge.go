package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/threshold"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// JudgeOptions say how a scenario's result is judged.
type JudgeOptions struct {
	// BaselineDir holds the stored baselines; empty skips the comparison.
	BaselineDir string
	// StrictMachine judges machine-dependent metrics even against a
	// baseline taken on another kind of machine.
	StrictMachine bool
	// TimeAsInfo reports thresholds on machine-dependent (time-based)
	// metrics without judging them. For builds whose timing is not
	// representative, such as under the race detector (several times
	// slower): accounting, allocation and count thresholds still judge.
	TimeAsInfo bool
	// Confirm is how many times a regression must be seen again, on fresh
	// runs, before it is reported (see RunAndJudge). Zero reports the first.
	Confirm int
}

// RunAndJudge runs a scenario and judges it. A regression against the
// baseline is confirmed before it is reported: the scenario runs again
// (fresh samples) and the regression stands only if the new run regresses
// too. A shared host that is slower for a minute (a noisy neighbour)
// shifts one run's samples together, which a significance test within the
// run cannot tell from a real change; it rarely lasts through a second
// run, while a real regression does. Threshold breaches are never re-run:
// they are judged on every repeat already.
func RunAndJudge(ctx context.Context, sc *scenario.Scenario, opt Options, jopt JudgeOptions) (*result.Scenario, exitcode.Code, error) {
	res, err := Run(ctx, sc, opt)
	if err != nil {
		return res, exitcode.Of(err), err
	}
	code := Judge(res, sc, jopt)
	for attempt := 1; attempt <= jopt.Confirm && code == exitcode.Regression; attempt++ {
		first := regressedMetrics(res)
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "%s: regression in %s; running again to confirm (%d of %d)\n", sc.Name, first, attempt, jopt.Confirm)
		}
		again, err := Run(ctx, sc, opt)
		if err != nil {
			return res, exitcode.Of(err), err
		}
		code = Judge(again, sc, jopt)
		if again.Baseline != nil {
			if code == exitcode.Regression {
				again.Baseline.Warnings = append(again.Baseline.Warnings,
					fmt.Sprintf("confirmed: the regression (%s) was seen again on a fresh run", first))
			} else {
				again.Baseline.Warnings = append(again.Baseline.Warnings,
					fmt.Sprintf("a regression in %s flagged by a first run did not reproduce on a fresh run: treated as machine noise", first))
			}
		}
		res = again
	}
	return res, code, nil
}

func regressedMetrics(res *result.Scenario) string {
	var names []string
	if res.Baseline != nil {
		for _, c := range res.Baseline.Comparisons {
			if c.Verdict == result.Regression {
				names = append(names, fmt.Sprintf("%s [%s] %+.1f%%", c.Metric, c.Case, c.Change*100))
			}
		}
	}
	return strings.Join(names, ", ")
}

// Judge evaluates the scenario's thresholds and compares every case with
// its stored baseline, fills res.Thresholds, res.Baseline and res.Verdict,
// and returns the exit code the result deserves.
func Judge(res *result.Scenario, sc *scenario.Scenario, opt JudgeOptions) exitcode.Code {
	res.Thresholds = res.Thresholds[:0]
	for _, th := range sc.Thresholds {
		src := fmt.Sprintf("%s:%d", sc.File, th.Line)
		judged := threshold.Judge(th.Parsed, src, res.Cases)
		if def, ok := metric.Lookup(th.Parsed.Metric); ok && opt.TimeAsInfo && def.MachineDependent {
			for i := range judged {
				// An unevaluated threshold has no value to report: it
				// stays an error (see result.ThresholdResult.Failed).
				judged[i].Info = judged[i].Error == ""
			}
		}
		res.Thresholds = append(res.Thresholds, judged...)
	}
	for _, c := range res.Cases {
		for _, r := range c.Runs {
			for _, e := range r.Errors {
				res.Thresholds = append(res.Thresholds, result.ThresholdResult{
					Expr: "run completed", Case: c.Name, Pass: false, Error: e, Display: "error",
				})
			}
		}
	}
	breached := false
	for _, t := range res.Thresholds {
		if t.Failed() {
			breached = true
		}
	}

	regressed := false
	if opt.BaselineDir != "" {
		res.Baseline = compareBaselines(res, sc, opt)
		regressed = verdict.Regressed(*res.Baseline)
	}

	switch {
	case breached:
		res.Verdict = result.VerdictFail
		return exitcode.Threshold
	case regressed:
		res.Verdict = result.VerdictRegression
		return exitcode.Regression
	}
	res.Verdict = result.VerdictPass
	return exitcode.OK
}

func compareBaselines(res *result.Scenario, sc *scenario.Scenario, opt JudgeOptions) *result.BaselineReport {
	rep := &result.BaselineReport{File: opt.BaselineDir, Found: true, SameMachine: true}
	fp := verdict.CurrentFingerprint(res.Environment["backend"])
	vopt := verdict.Options{
		Metrics:       sc.Baseline.Metrics,
		Tolerance:     sc.Baseline.Tolerance,
		MinSamples:    sc.Baseline.MinSamples,
		StrictMachine: opt.StrictMachine,
	}
	for _, c := range res.Cases {
		path := verdict.Path(opt.BaselineDir, sc.Name, c.Name)
		base, err := verdict.Load(path)
		if errors.Is(err, fs.ErrNotExist) {
			rep.Found = false
			rep.Warnings = append(rep.Warnings, verdict.MissingWarning(path, sc.File))
			continue
		}
		if err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline %s is unreadable (%v): refresh it with 'runner baseline update -scenario %s'", path, err, sc.File))
			continue
		}
		if base.ScenarioHash != res.Hash {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline %s was taken with different scenario settings; the comparison may not be like for like: refresh it with 'runner baseline update -scenario %s'", path, sc.File))
		}
		r := verdict.Compare(base, c, fp, vopt)
		if !r.SameMachine {
			rep.SameMachine = false
		}
		rep.Warnings = append(rep.Warnings, r.Warnings...)
		rep.Comparisons = append(rep.Comparisons, r.Comparisons...)
		if rep.File == opt.BaselineDir {
			rep.File = path
		}
	}
	return rep
}
