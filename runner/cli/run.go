package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/benchout"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/internal/suggest"
	"github.com/sqsperf/sqsperf/runner/profile"
	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
)

// runFlags are shared by "run" and "baseline update".
type runFlags struct {
	// backends are the invocation's shared SQS backends (set by cmdRun).
	backends    *runner.Backends
	scenarios   stringList
	out         string
	repeats     int
	size        float64
	backend     string
	endpoint    string
	baselines   string
	noBaseline  bool
	strict      bool
	verbose     bool
	profiles    bool
	benchOutput string
	monitor     bool
	confirm     int
	// Load-only mode: the queues of a service that runs elsewhere.
	loadOnly bool
	jobsURL  string
	tasksURL string
	dlqURL   string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.scenarios, "scenario", "scenario `FILE` to run (repeatable; files may also follow the flags)")
	fs.StringVar(&f.out, "out", "reports", "output `DIR` for reports (reports/<scenario>/...)")
	fs.IntVar(&f.repeats, "repeats", 0, "repeat each case `N` times (0: as the scenario says)")
	fs.Float64Var(&f.size, "size", 1, "scale every count in the scenario by `FACTOR` (0.1 for a quick check, 10 for a nightly run)")
	fs.StringVar(&f.backend, "backend", "", "SQS backend `KIND`: "+backendkind.List()+" (default: as the scenario says)")
	fs.StringVar(&f.endpoint, "endpoint", "", "SQS endpoint `URL` for -backend endpoint (default: the AWS SDK's chain, e.g. AWS_ENDPOINT_URL_SQS)")
	fs.StringVar(&f.baselines, "baselines", "baselines", "`DIR` of stored baselines")
	fs.BoolVar(&f.noBaseline, "no-baseline", false, "do not compare with stored baselines")
	fs.IntVar(&f.confirm, "confirm", 1, "re-run a scenario `N` times to confirm a regression before reporting it (0: report the first)")
	fs.BoolVar(&f.strict, "strict-machine", false, "judge time-based metrics (CPU, throughput, latency) against the stored baseline too; by default only the A/B against a revision judges them")
	fs.BoolVar(&f.verbose, "v", false, "log the service's and backend's messages to stderr")
	fs.BoolVar(&f.profiles, "profiles", true, "write the profiles a scenario asks for next to its report")
	fs.BoolVar(&f.monitor, "monitor", false, "show the live queue monitor during the load (on a terminal)")
	fs.StringVar(&f.benchOutput, "bench", "", "also write results in Go benchmark format to `FILE` (for benchstat)")
	fs.BoolVar(&f.loadOnly, "load-only", false, "only send the load, to a service that runs elsewhere, and judge by queue metrics (needs the three queue URLs; nothing is created or deleted)")
	fs.StringVar(&f.jobsURL, "jobs-queue-url", "", "with -load-only: the service's jobs queue `URL`")
	fs.StringVar(&f.tasksURL, "tasks-queue-url", "", "with -load-only: the service's tasks queue `URL`")
	fs.StringVar(&f.dlqURL, "dlq-url", "", "with -load-only: the service's dead-letter queue `URL` (read, never consumed)")
}

// checkLoadOnly refuses queue URLs without -load-only (the run would
// create fresh queues and silently ignore them) and -load-only without
// all three URLs.
func (f *runFlags) checkLoadOnly() error {
	if !f.loadOnly {
		for _, u := range []struct{ flag, url string }{{"-jobs-queue-url", f.jobsURL}, {"-tasks-queue-url", f.tasksURL}, {"-dlq-url", f.dlqURL}} {
			if u.url != "" {
				return exitcode.Errorf(exitcode.Usage, "%s is only used with -load-only (loading a service that runs elsewhere); add -load-only or drop %s", u.flag, u.flag)
			}
		}
		return nil
	}
	if f.backend != "" && f.backend != sqsbackend.Endpoint {
		return exitcode.Errorf(exitcode.Usage, "-load-only runs against the SQS endpoint the service uses: use -backend endpoint (with -endpoint URL or the AWS SDK's chain), not %q", f.backend)
	}
	return runner.CheckLoadOnlyQueues(f.loadOnlyQueues())
}

// check refuses values that would make a run meaningless before anything
// starts (no backend, no progress line): a size of 0 used to run at full
// size without a word.
func (f *runFlags) check(fs *flag.FlagSet) error {
	cmd := fs.Name()
	if !(f.size > 0) || math.IsInf(f.size, 0) {
		return exitcode.Errorf(exitcode.Usage, "%s: -size %v: want a factor greater than 0, such as 0.2 for a quick check or 10 for a soak (1 is full size)", cmd, f.size)
	}
	if flagSet(fs, "repeats") && f.repeats < 1 {
		return exitcode.Errorf(exitcode.Usage, "%s: -repeats %d: want 1 or more (leave it out to use the scenario's repeats)", cmd, f.repeats)
	}
	if f.confirm < 0 {
		return exitcode.Errorf(exitcode.Usage, "%s: -confirm %d: want 0 (report the first regression) or more re-runs", cmd, f.confirm)
	}
	if f.backend != "" && !slices.Contains(backendKinds, f.backend) {
		hint := ""
		if s := suggest.Closest(f.backend, backendKinds); s != "" {
			hint = fmt.Sprintf(": did you mean %s?", s)
		}
		return exitcode.Errorf(exitcode.Usage, "%s: -backend %q is not a backend%s (one of %s)", cmd, f.backend, hint, strings.Join(backendKinds, ", "))
	}
	return nil
}

var backendKinds = backendkind.Names()

// parseSize reads a -size factor given as text (compare passes it on to
// the runs it starts, so it checks it first).
func parseSize(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, exitcode.Errorf(exitcode.Usage, "-size %s: want a factor greater than 0, such as 0.2 for a quick check or 10 for a soak (1 is full size)", s)
	}
	return v, nil
}

func (f *runFlags) loadOnlyQueues() sqsbackend.Queues {
	return sqsbackend.Queues{Jobs: f.jobsURL, Tasks: f.tasksURL, DeadLetter: f.dlqURL}
}

func (f *runFlags) files(fs *flag.FlagSet) []string {
	return append(append([]string{}, f.scenarios...), fs.Args()...)
}

func (f *runFlags) options(st *State) runner.Options {
	opt := runner.Options{
		Repeats:     f.repeats,
		Size:        f.size,
		Backend:     f.backend,
		Endpoint:    f.endpoint,
		Progress:    st.Stderr,
		Interactive: st.Interactive,
		Getenv:      st.Getenv,
		Monitor:     f.monitor,
		Backends:    f.backends,
	}
	if f.loadOnly {
		opt.LoadOnly = true
		opt.Queues = f.loadOnlyQueues()
		if opt.Backend == "" {
			opt.Backend = sqsbackend.Endpoint
		}
	}
	if f.verbose {
		opt.Logger = slog.New(slog.NewTextHandler(st.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return opt
}

// cmdRun runs scenario files, judges them, writes reports and returns the
// worst outcome's exit code.
func cmdRun(ctx context.Context, st *State, args []string) error {
	fs := newFlagSet("run", "runner run [flags] FILE...   (or: runner -scenario FILE [flags])",
		"Runs each scenario file, judges it against its thresholds and stored baseline,\nwrites reports to -out and exits 0 pass, 1 threshold failed, 2 usage or invalid\nscenario, 3 regression, 4 environment failure. Flags may follow the files.")
	var f runFlags
	f.register(fs)
	if err := parseFlags(st, fs, args); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	if err := f.checkLoadOnly(); err != nil {
		return err
	}
	files := f.files(fs)
	if len(files) == 0 {
		return exitcode.Errorf(exitcode.Usage, "no scenario given: try 'runner -scenario scenarios/stress.yaml'")
	}
	scenarios, err := loadScenarios(files)
	if err != nil {
		return err
	}
	progress := f.progress(st, scenarios)
	// A backend that is slow to start (LocalStack, an endpoint) is opened
	// once for the whole invocation and shared by every scenario, case and
	// repeat, each repeat on queues of its own.
	f.backends = runner.NewBackends()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := f.backends.Close(closeCtx); err != nil {
			// The verdict stands (every repeat deleted its own queues);
			// what is left is the backend itself, which the user may
			// have to stop by hand.
			fmt.Fprintf(st.Stderr, "warning: closing the shared SQS backend: %v (with -backend localstack, 'docker ps' shows a container left running)\n", err)
		}
	}()
	var all []*result.Scenario
	var codes []exitcode.Code
	var failures []string
	for _, sc := range scenarios {
		res, code, err := runAndJudge(ctx, st, sc, f, progress)
		if err != nil {
			return err
		}
		all = append(all, res.WithoutSeries())
		codes = append(codes, code)
		if code != exitcode.OK {
			failures = append(failures, fmt.Sprintf("%s (%s)", sc.Name, res.Verdict))
		}
	}
	if err := writeSuite(st, all, f); err != nil {
		return err
	}
	worst := exitcode.Worst(codes...)
	if worst != exitcode.OK {
		return exitcode.Errorf(worst, "%d of %d scenarios did not pass: %s; see %s/<scenario>/summary.md",
			len(failures), len(all), strings.Join(failures, ", "), f.out)
	}
	return nil
}

// loadScenarios parses every file first, so a typo in the last file is
// reported before minutes of running the first.
func loadScenarios(files []string) ([]*scenario.Scenario, error) {
	var out []*scenario.Scenario
	var problems []string
	for _, file := range files {
		sc, err := scenario.Load(file)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		out = append(out, sc)
	}
	if len(problems) > 0 {
		return nil, exitcode.Errorf(exitcode.Usage, "invalid scenario:\n%s\n(check the files with 'runner validate FILE...')", strings.Join(problems, "\n"))
	}
	return out, nil
}

// progress returns where progress lines go for this invocation: stderr,
// wrapped to know how many runs lie ahead (every case times its repeats,
// over every scenario) so lines carry an ETA, with colour only when
// stderr is a terminal and NO_COLOR is unset.
func (f *runFlags) progress(st *State, scenarios []*scenario.Scenario) *runner.ProgressTracker {
	total := 0
	for _, sc := range scenarios {
		cases, err := sc.Cases()
		if err != nil {
			return runner.NewProgressTracker(st.Stderr, 0, st.color(st.StderrTerminal))
		}
		repeats := sc.Repeats
		if f.repeats > 0 {
			repeats = f.repeats
		}
		total += len(cases) * max(repeats, 1)
	}
	return runner.NewProgressTracker(st.Stderr, total, st.color(st.StderrTerminal))
}

func runAndJudge(ctx context.Context, st *State, sc *scenario.Scenario, f runFlags, progress io.Writer) (*result.Scenario, exitcode.Code, error) {
	opt := f.options(st)
	opt.Progress = progress
	if f.profiles {
		dir, err := report.ScenarioDir(f.out, sc.Name)
		if err != nil {
			return nil, exitcode.Usage, exitcode.Wrap(exitcode.Usage, err)
		}
		opt.ProfileDir = dir
		opt.AllocProfiles = st.Getenv(profile.AllocsEnv) == "1"
	}
	jopt := runner.JudgeOptions{StrictMachine: f.strict, Confirm: f.confirm}
	if !f.noBaseline {
		jopt.BaselineDir = f.baselines
	}
	res, code, err := runner.RunAndJudge(ctx, sc, opt, jopt)
	if err != nil && res != nil && ctx.Err() != nil {
		return res, code, writeUnjudged(st, res, f, err, result.VerdictInterrupted)
	}
	if err != nil && res != nil && exitcode.Of(err) == exitcode.Environment {
		// The run broke off (an SQS endpoint that stopped answering, a
		// consumer that crashed): what it measured up to then is what
		// shows where, so it is written too.
		return res, code, writeUnjudged(st, res, f, err, result.VerdictError)
	}
	if err != nil {
		return nil, code, err
	}
	files, err := report.Write(res, report.Options{Dir: f.out, StepSummary: st.Getenv("GITHUB_STEP_SUMMARY")})
	if err != nil {
		return res, code, exitcode.Wrap(exitcode.Environment, fmt.Errorf("writing reports: %w", err))
	}
	printVerdict(st.Stdout, res, files, st.color(st.StdoutTerminal))
	if st.getenv("GITHUB_ACTIONS") == "true" {
		annotate(st.Stdout, sc, res)
	}
	if f.benchOutput != "" {
		if err := appendBench(f.benchOutput, res); err != nil {
			return res, code, exitcode.Wrap(exitcode.Environment, err)
		}
	}
	return res, code, nil
}

// writeUnjudged writes what a run that did not finish measured (stopped
// by a signal: the verdict "interrupted"; broken off by its environment:
// "error"), unjudged (thresholds and baselines on part of a run would
// mislead), and returns the run's error (exit 4).
func writeUnjudged(st *State, res *result.Scenario, f runFlags, err error, verdict result.Outcome) error {
	res.Verdict = verdict
	res.Error = err.Error()
	files, werr := report.Write(res, report.Options{Dir: f.out, StepSummary: st.Getenv("GITHUB_STEP_SUMMARY")})
	if werr != nil {
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("%w; writing what was measured: %v", err, werr))
	}
	printVerdict(st.Stdout, res, files, st.color(st.StdoutTerminal))
	return err
}

func appendBench(path string, res *result.Scenario) error {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening -bench file: %w", err)
	}
	if err := benchout.Write(fh, res); err != nil {
		fh.Close()
		return fmt.Errorf("writing -bench file: %w", err)
	}
	return fh.Close()
}

func writeSuite(st *State, all []*result.Scenario, f runFlags) error {
	if len(all) < 2 {
		return nil
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return exitcode.Wrap(exitcode.Environment, err)
	}
	for name, write := range map[string]func(io.Writer, []*result.Scenario) error{
		"summary.md": report.WriteSuiteMarkdown,
		"junit.xml":  report.WriteSuiteJUnit,
	} {
		fh, err := os.Create(filepath.Join(f.out, name))
		if err != nil {
			return exitcode.Wrap(exitcode.Environment, err)
		}
		err = write(fh, all)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return exitcode.Wrap(exitcode.Environment, fmt.Errorf("writing %s: %w", name, err))
		}
	}
	return nil
}

// ANSI colours of the verdict, used only when stdout is a terminal and
// NO_COLOR is unset (State.color).
const (
	colorRed    = "31"
	colorGreen  = "32"
	colorYellow = "33"
)

// printVerdict writes the short human verdict: one line per threshold and
// per moved metric, then where the reports are.
func printVerdict(w io.Writer, res *result.Scenario, files report.Files, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\033[" + code + "m" + s + "\033[0m"
	}
	verdictColor := colorRed
	if res.Verdict == result.VerdictPass {
		verdictColor = colorGreen
	}
	fmt.Fprintf(w, "%s: %s\n", res.Name, paint(verdictColor, strings.ToUpper(string(res.Verdict))))
	for _, t := range res.Thresholds {
		mark := paint(colorGreen, "ok  ")
		switch {
		case t.Failed():
			mark = paint(colorRed, "FAIL")
		case t.ReportedOnly():
			mark = paint(colorYellow, "info")
		}
		where := ""
		if t.Case != "" && t.Case != res.Name {
			where = " [" + t.Case + "]"
		}
		detail := t.Display
		if t.Error != "" {
			detail = t.Error
		}
		fmt.Fprintf(w, "  %s %s%s: %s\n", mark, t.Expr, where, detail)
	}
	if b := res.Baseline; b != nil {
		for _, warn := range b.Warnings {
			fmt.Fprintf(w, "  note: %s\n", warn)
		}
		for _, c := range b.Comparisons {
			if c.Verdict == "regression" || c.Verdict == "improvement" {
				mark := paint(colorGreen, strings.ToUpper(string(c.Verdict)))
				if c.Verdict == "regression" {
					mark = paint(colorRed, strings.ToUpper(string(c.Verdict)))
				}
				fmt.Fprintf(w, "  %s %s [%s]: %+.1f%% (p=%.3g, tolerance %.0f%%)\n", mark, c.Metric, c.Case, c.Change*100, c.P, c.Tolerance*100)
			}
		}
	}
	// One line per case: the reading most of its repeats gave, as the
	// reports name it ("healthy" included), with the others after it. Six
	// repeats saying the same thing are one finding, not six, and one
	// repeat of six that read gc does not make a healthy case a gc one.
	for _, d := range report.PrimaryDiagnoses(res) {
		text := d.Summary
		if !strings.HasPrefix(text, d.Category+":") {
			text = d.Category + ": " + text
		}
		runs := fmt.Sprintf("in %d of %d runs", d.Runs, d.Of)
		if len(d.Others) > 0 {
			runs += "; other repeats: " + strings.Join(d.Others, ", ")
		}
		fmt.Fprintf(w, "  diagnosis [%s]: %s (%s)\n", d.Case, text, runs)
	}
	fmt.Fprintf(w, "  reports: %s\n", files.Dir)
}
