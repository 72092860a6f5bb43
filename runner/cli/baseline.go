package cli

import (
	"context"
	"fmt"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
)

// cmdBaseline: runner baseline update -scenario FILE...
func cmdBaseline(ctx context.Context, st *State, args []string) error {
	if len(args) == 0 || args[0] != "update" {
		return exitcode.Errorf(exitcode.Usage, "usage: runner baseline update -scenario FILE... [-repeats N] [-baselines DIR]")
	}
	fs := newFlagSet(st, "baseline update")
	var f runFlags
	f.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if f.loadOnly {
		// A load-only run measures the queues, not the service: its numbers
		// must not become the standard full runs are held to.
		return exitcode.Errorf(exitcode.Usage, "baseline update: -load-only runs cannot refresh baselines (they have no per-message accounting or costs); run without -load-only")
	}
	files := f.files(fs)
	if len(files) == 0 {
		return exitcode.Errorf(exitcode.Usage, "baseline update: no scenario given: try 'runner baseline update -scenario scenarios/stress.yaml'")
	}
	scenarios, err := loadScenarios(files)
	if err != nil {
		return err
	}
	// A new baseline is judged on its thresholds only: comparing it with
	// the one it replaces would refuse exactly the updates that are meant.
	f.noBaseline = true
	for _, sc := range scenarios {
		res, _, err := runAndJudge(ctx, st, sc, f)
		if err != nil {
			return err
		}
		written, err := runner.UpdateBaselines(res, sc, f.baselines)
		if err != nil {
			return err
		}
		for _, p := range written {
			fmt.Fprintf(st.Stdout, "wrote %s\n", p)
		}
	}
	return nil
}
