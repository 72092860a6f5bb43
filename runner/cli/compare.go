package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/abtest"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// cmdCompare: runner compare -scenario FILE -against REV [-rounds N] [-out DIR]
// builds the runner at REV and at the working tree, runs the scenario with
// both in alternation and exits 3 when the working tree regressed.
func cmdCompare(ctx context.Context, st *State, args []string) error {
	fs := newFlagSet("compare", "runner compare -scenario FILE -against REV [flags]",
		"Builds the runner at REV and at the working tree, runs the scenario with both\nin alternation and exits 3 when the working tree regressed.")
	scenarioFile := fs.String("scenario", "", "scenario `FILE` to run on both sides (taken from the working tree)")
	against := fs.String("against", "", "git `REV` to compare the working tree with (branch, tag or commit)")
	rounds := fs.Int("rounds", verdict.RecommendedRepeats, "runs per side, alternating AB, BA, ...; fewer than 6 can only warn")
	out := fs.String("out", "reports/compare", "output `DIR` for every run's report and A.txt/B.txt for benchstat")
	repo := fs.String("repo", ".", "`DIR` of the git working tree (side B)")
	size := fs.String("size", "", "scale every count in the scenario by `FACTOR` on both sides (passed to runner run)")
	if err := parseFlags(st, fs, args); err != nil {
		return err
	}
	if *size != "" {
		if _, err := parseSize(*size); err != nil {
			return err
		}
	}
	if *rounds < 1 {
		return exitcode.Errorf(exitcode.Usage, "compare: -rounds %d: want 1 or more runs per side (%d or more to judge a regression)", *rounds, verdict.RecommendedRepeats)
	}
	switch {
	case fs.NArg() == 1 && *scenarioFile == "":
		*scenarioFile = fs.Arg(0)
	case fs.NArg() > 0:
		return exitcode.Errorf(exitcode.Usage, "compare: unexpected arguments %q: give one scenario with -scenario FILE", fs.Args())
	}
	if *scenarioFile == "" || *against == "" {
		return exitcode.Errorf(exitcode.Usage, "compare: need -scenario FILE and -against REV, e.g. 'runner compare -scenario scenarios/stress.yaml -against main'")
	}
	opts := abtest.Options{
		Repo:     *repo,
		Against:  *against,
		Scenario: *scenarioFile,
		Rounds:   *rounds,
		OutDir:   *out,
		Stdout:   st.Stderr,
		// The pull-request verdict's tolerances (SQSPERF_AGAINST), so that
		// this command and the workflow agree.
		Verdict: verdict.Options{Tolerance: runner.ABTolerances(), Paired: true},
	}
	if *size != "" {
		opts.ExtraArgs = []string{"-size", *size}
	}
	res, err := abtest.Run(ctx, opts)
	if err != nil {
		if errors.Is(err, abtest.ErrOptions) {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("compare: %w", err))
		}
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("compare: %w", err))
	}
	if err := res.WriteSummary(st.Stdout); err != nil {
		return exitcode.Wrap(exitcode.Environment, err)
	}
	if res.Regressed() {
		return exitcode.Errorf(exitcode.Regression, "compare: the working tree regressed against %s in scenario %s (see the table above)", *against, res.Scenario)
	}
	return nil
}
