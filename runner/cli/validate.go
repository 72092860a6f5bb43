package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// cmdValidate checks scenario files without running them: every problem
// of every file is printed (file:line:column: field: message), so one
// pass fixes them all. A directory stands for the *.yaml files in it.
func cmdValidate(ctx context.Context, st *State, args []string) error {
	fs := newFlagSet("validate", "runner validate FILE|DIR...",
		"Checks scenario files (units, ranges, metric names, thresholds, matrix) without running them.")
	if err := parseFlags(st, fs, args); err != nil {
		return err
	}
	files, err := scenarioFiles(fs.Args())
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	if len(files) == 0 {
		fs.SetOutput(st.Stderr)
		fs.Usage()
		return exitcode.Errorf(exitcode.Usage, "runner validate: name at least one scenario file, such as scenarios/stress.yaml")
	}
	invalid := 0
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return exitcode.Wrap(exitcode.Environment, err)
		}
		s, err := scenario.Load(file)
		if err == nil {
			var cases []scenario.Case
			if cases, err = s.Cases(); err == nil {
				fmt.Fprintf(st.Stdout, "ok %s (%s)\n", file, plural(len(cases), "case"))
				continue
			}
		}
		invalid++
		var list scenario.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(st.Stderr, e.Error())
			}
		} else {
			fmt.Fprintf(st.Stderr, "%s: %v\n", file, err)
		}
	}
	if invalid > 0 {
		return exitcode.Errorf(exitcode.Usage, "%s of %d invalid: fix the problems listed above", plural(invalid, "scenario file"), len(files))
	}
	return nil
}

// scenarioFiles expands directories to the YAML files directly in them,
// sorted, and keeps files as given.
func scenarioFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil || !info.IsDir() {
			out = append(out, arg) // a missing file is reported by the loader, with the others
			continue
		}
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(arg, pattern))
			if err != nil {
				return nil, err
			}
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("runner validate: %s holds no .yaml files", arg)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
