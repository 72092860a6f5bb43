// Package cli is the runner's command line. main only wires the process
// to Run; everything here takes its environment as arguments so that tests
// run commands in memory.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"golang.org/x/term"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/internal/suggest"
)

// State is the process state a command may use. Nothing in this package
// reads os.Args, os.Getenv or os.Stdout directly.
type State struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(string) string
	// Interactive is true when stderr (where progress goes) is a terminal
	// and CI is not set: progress lines are redrawn in place and live
	// views are shown only then.
	Interactive bool
	// StdoutTerminal and StderrTerminal say which streams are terminals:
	// colour is used on a stream only when it is one (and NO_COLOR is
	// unset), so 'runner ... 2>log' and '| tee' get plain text.
	StdoutTerminal bool
	StderrTerminal bool
}

// NewState describes the current process.
func NewState() *State {
	return newState(os.Stdout, os.Stderr, os.Getenv,
		term.IsTerminal(int(os.Stdout.Fd())), term.IsTerminal(int(os.Stderr.Fd())))
}

func newState(stdout, stderr io.Writer, getenv func(string) string, stdoutTerminal, stderrTerminal bool) *State {
	st := &State{Stdout: stdout, Stderr: stderr, Getenv: getenv, StdoutTerminal: stdoutTerminal, StderrTerminal: stderrTerminal}
	// Progress is written to stderr, so it is stderr that decides whether
	// a line may be redrawn with \r and escape codes: 'runner ... 2>log'
	// on a terminal gets plain lines.
	st.Interactive = stderrTerminal && !isCI(getenv)
	return st
}

func isCI(getenv func(string) string) bool {
	v := strings.ToLower(getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// color reports whether escape codes may be written to a stream that is
// (or is not) a terminal: never when NO_COLOR is set to anything
// (https://no-color.org) or TERM is dumb.
func (st *State) color(terminal bool) bool {
	return terminal && st.getenv("NO_COLOR") == "" && st.getenv("TERM") != "dumb"
}

func (st *State) getenv(k string) string {
	if st.Getenv == nil {
		return ""
	}
	return st.Getenv(k)
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

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return append(names, "help")
}

// errHelpShown is returned by a command that printed its help because
// -h was asked for: Run turns it into success (exit 0), as Go's own
// commands do.
var errHelpShown = errors.New("help shown")

// Run executes the command line args (without the program name) and
// returns an error carrying the exit code (see exitcode.Of).
func Run(ctx context.Context, st *State, args []string) error {
	err := dispatch(ctx, st, args)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, st *State, args []string) error {
	if len(args) == 0 {
		usage(st.Stderr)
		return exitcode.Errorf(exitcode.Usage, "no command given: try 'runner -scenario scenarios/stress.yaml'")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(st.Stdout)
		return nil
	case "help":
		return helpFor(ctx, st, args[1:])
	}
	// "runner -scenario FILE ..." is the main job: the run command with flags first.
	if strings.HasPrefix(args[0], "-") {
		return cmdRun(ctx, st, args)
	}
	if c, ok := findCommand(args[0]); ok {
		return c.run(ctx, st, args[1:])
	}
	return unknownCommand(args[0])
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func unknownCommand(name string) error {
	hint := ""
	if s := suggest.Closest(name, commandNames()); s != "" {
		hint = fmt.Sprintf(": did you mean %s?", s)
	}
	return exitcode.Errorf(exitcode.Usage, "unknown command %q%s\nrun 'runner -h' for the list of commands", name, hint)
}

// helpFor prints a command's help: "runner help run" is "runner run -h".
func helpFor(ctx context.Context, st *State, args []string) error {
	if len(args) == 0 {
		usage(st.Stdout)
		return nil
	}
	c, ok := findCommand(args[0])
	if !ok {
		return unknownCommand(args[0])
	}
	// The command's own -h path prints exactly what "runner CMD -h" does;
	// subcommands ("help sqs serve") pass through.
	return c.run(ctx, st, append(append([]string{}, args[1:]...), "-h"))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: runner -scenario FILE [flags]   run a scenario and judge it")
	fmt.Fprintln(w, "       runner COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "help", "a command's flags: runner help COMMAND (or runner COMMAND -h)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 pass, 1 threshold failed, 2 usage or invalid scenario, 3 regression, 4 environment failure")
}

// newFlagSet returns a flag set that reports errors instead of exiting
// and prints nothing by itself: parseFlags prints help on -h (to stdout)
// and turns a bad flag into one short error. synopsis is the first line
// of the help ("runner run [flags] FILE..."), about what the command does.
func newFlagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n", synopsis)
		if about != "" {
			fmt.Fprintf(w, "\n%s\n", about)
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, allowing flags after file arguments ("runner
// run scenarios/stress.yaml -size 0.2"), as most command lines do; "--"
// ends the flags. Afterwards fs.Args() holds the non-flag arguments in
// order. -h prints the help to stdout and returns errHelpShown (exit 0);
// a bad flag is one short error with a suggestion and where to look.
func parseFlags(st *State, fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return flagError(st, fs, err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone resets fs.Args() to the positional arguments
	// without touching the flags already set.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return flagError(st, fs, err)
	}
	return nil
}

var undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)

func flagError(st *State, fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(st.Stdout)
		fs.Usage()
		fs.SetOutput(io.Discard)
		return errHelpShown
	}
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("unknown flag -%s", m[1])
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest.Closest(m[1], names); s != "" {
			msg += fmt.Sprintf(": did you mean -%s?", s)
		}
	}
	return exitcode.Errorf(exitcode.Usage, "%s: %s\nrun 'runner %s -h' for usage", fs.Name(), msg, fs.Name())
}

// flagSet reports whether the flag name was given on the command line
// (as opposed to left at its default).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
