package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
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
//
// An unusable baseline file (see Judge) is an error carrying
// exitcode.Usage; it is looked for before running too, so a broken file
// costs no run.
func RunAndJudge(ctx context.Context, sc *scenario.Scenario, opt Options, jopt JudgeOptions) (*result.Scenario, exitcode.Code, error) {
	if err := checkBaselines(sc, opt, jopt); err != nil {
		return nil, exitcode.Usage, err
	}
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
	if code == exitcode.Usage && res.Verdict == result.VerdictError {
		return res, code, exitcode.Errorf(exitcode.Usage, "%s", res.Error)
	}
	return res, code, nil
}

// checkBaselines loads the baseline of every case the run will have and
// returns the problems of those that exist but cannot be used, as Judge
// would after the run.
func checkBaselines(sc *scenario.Scenario, opt Options, jopt JudgeOptions) error {
	if jopt.BaselineDir == "" {
		return nil
	}
	cases, err := opt.Effective(sc).Cases()
	if err != nil {
		return nil // Run reports it, with its own exit code
	}
	var unusable []error
	for _, c := range cases {
		path := baseline.Path(jopt.BaselineDir, sc.Name, c.Name)
		if _, err := baseline.LoadFor(path, sc.Name, c.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			unusable = append(unusable, unusableBaseline(err, sc))
		}
	}
	if len(unusable) > 0 {
		return exitcode.Wrap(exitcode.Usage, errors.Join(unusable...))
	}
	return nil
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
// and returns the exit code the result deserves. A baseline file that
// exists but cannot be used gives exitcode.Usage, with res.Verdict
// "error" and res.Error naming the file and what to do.
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
		rep, err := compareBaselines(res, sc, opt)
		res.Baseline = rep
		if err != nil {
			// Worse than a breach: without its baseline the run was not
			// judged as asked, and the file needs a person's attention.
			res.Verdict = result.VerdictError
			res.Error = err.Error()
			return exitcode.Usage
		}
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

// compareBaselines compares every case with its stored baseline. A
// missing baseline is a warning (there is nothing to compare with yet);
// one that exists but cannot be used (malformed, another version,
// impossible values, another scenario's) is an error: reading it as "no
// baseline" would turn the regression gate off without a word.
func compareBaselines(res *result.Scenario, sc *scenario.Scenario, opt JudgeOptions) (*result.BaselineReport, error) {
	rep := &result.BaselineReport{File: opt.BaselineDir, Found: true, SameMachine: true}
	fp := fingerprint.Current(res.Environment["backend"])
	vopt := verdict.Options{
		Metrics:       sc.Baseline.Metrics,
		Tolerance:     sc.Baseline.Tolerance,
		MinSamples:    sc.Baseline.MinSamples,
		StrictMachine: opt.StrictMachine,
		ScenarioHash:  res.Hash,
		Size:          res.Size,
		// A stored baseline judges what does not depend on the machine or
		// the day; time-based metrics are the interleaved A/B's to judge.
		// Measured: the same machine kind, three days after the baselines
		// and beside another job, read throughput -50% and
		// sched.latency.over_1ms +488% with no code change.
		TimeAsInfo: true,
	}
	var unusable []error
	for _, c := range res.Cases {
		path := baseline.Path(opt.BaselineDir, sc.Name, c.Name)
		base, err := baseline.LoadFor(path, sc.Name, c.Name)
		if errors.Is(err, fs.ErrNotExist) {
			rep.Found = false
			rep.Warnings = append(rep.Warnings, baseline.MissingWarning(path, sc.File))
			continue
		}
		if err != nil {
			unusable = append(unusable, unusableBaseline(err, sc))
			continue
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
	return rep, errors.Join(unusable...)
}

// unusableBaseline adds the command that recreates the file to the
// loader's error, which names the file and the problem.
func unusableBaseline(err error, sc *scenario.Scenario) error {
	return fmt.Errorf("%w (for this scenario: runner baseline update -scenario %s)", err, sc.File)
}
