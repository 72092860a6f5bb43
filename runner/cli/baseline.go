package cli

import (
	"context"
	"fmt"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
)

const baselineAbout = `Runs each scenario (its thresholds must pass) and rewrites its stored
baseline in -baselines DIR (default baselines/), one JSON per scenario.
Takes the same flags as 'runner run'.`

// isHelpFlag reports whether arg asks for help, for commands that read a
// subcommand before their flags.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// cmdBaseline: runner baseline update -scenario FILE...
func cmdBaseline(ctx context.Context, st *State, args []string) error {
	const synopsis = "runner baseline update [flags] FILE..."
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(st.Stdout, "usage: %s\n\n%s\n", synopsis, baselineAbout)
		return errHelpShown
	}
	if len(args) == 0 || args[0] != "update" {
		what := "missing subcommand"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown subcommand %q", args[0])
		}
		return exitcode.Errorf(exitcode.Usage, "baseline: %s: use 'runner baseline update -scenario FILE...'\nrun 'runner baseline update -h' for usage", what)
	}
	fs := newFlagSet("baseline update", synopsis, baselineAbout)
	var f runFlags
	f.register(fs)
	if err := parseFlags(st, fs, args[1:]); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
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
	progress := f.progress(st, scenarios)
	for _, sc := range scenarios {
		res, _, err := runAndJudge(ctx, st, sc, f, progress)
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
