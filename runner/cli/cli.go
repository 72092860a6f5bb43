// Package cli is the runner's command line. main only wires the process
// to Run; everything here takes its environment as arguments so that tests
// run commands in memory.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

// State is the process state a command may use. Nothing in this package
// reads os.Args, os.Getenv or os.Stdout directly.
type State struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(string) string
	// Interactive is true when stdout is a terminal and CI is not set:
	// progress lines and live views are shown only then.
	Interactive bool
}

// NewState describes the current process.
func NewState() *State {
	st := &State{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	st.Interactive = term.IsTerminal(int(os.Stdout.Fd())) && !isCI(os.Getenv)
	return st
}

func isCI(getenv func(string) string) bool {
	v := strings.ToLower(getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, st *State, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run scenario files: runner run FILE... (same as runner -scenario FILE)", cmdRun},
		{"validate", "check scenario files without running them: runner validate FILE...", cmdValidate},
		{"baseline", "manage stored baselines: runner baseline update -scenario FILE...", cmdBaseline},
		{"compare", "interleaved A/B against a git revision: runner compare -scenario FILE -against REV", cmdCompare},
		{"sqs", "the embedded SQS server: runner sqs serve -addr 127.0.0.1:9324", cmdSQS},
		{"monitor", "live queue monitor: runner monitor -endpoint URL [-queue NAME...]", cmdMonitor},
	}
}

// Run executes the command line args (without the program name) and
// returns an error carrying the exit code (see exitcode.Of).
func Run(ctx context.Context, st *State, args []string) error {
	if len(args) == 0 {
		usage(st.Stderr)
		return exitcode.Errorf(exitcode.Usage, "no command given: try 'runner -scenario scenarios/stress.yaml'")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(st.Stdout)
		return nil
	}
	// "runner -scenario FILE ..." is the main job: the run command with flags first.
	if strings.HasPrefix(args[0], "-") {
		return cmdRun(ctx, st, args)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, st, args[1:])
		}
	}
	usage(st.Stderr)
	return exitcode.Errorf(exitcode.Usage, "unknown command %q: see the list above", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: runner -scenario FILE [flags]   run a scenario and judge it")
	fmt.Fprintln(w, "       runner COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 pass, 1 threshold failed, 2 usage or invalid scenario, 3 regression, 4 environment failure")
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// writes its usage to st.Stderr.
func newFlagSet(st *State, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(st.Stderr)
	return fs
}

// parseFlags parses args and turns a flag error into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("%s: help requested", fs.Name()))
		}
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("%s: %w", fs.Name(), err))
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
