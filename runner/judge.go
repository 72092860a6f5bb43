package runner

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
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
}

// Judge evaluates the scenario's thresholds and compares every case with
// its stored baseline, fills res.Thresholds, res.Baseline and res.Verdict,
// and returns the exit code the result deserves.
func Judge(res *result.Scenario, sc *scenario.Scenario, opt JudgeOptions) exitcode.Code {
	res.Thresholds = res.Thresholds[:0]
	for _, th := range sc.Thresholds {
		src := fmt.Sprintf("%s:%d", sc.File, th.Line)
		res.Thresholds = append(res.Thresholds, threshold.Judge(th.Parsed, src, res.Cases)...)
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
		if !t.Pass {
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
