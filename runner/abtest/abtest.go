// Package abtest judges the working tree against a git revision by
// building the runner at both and running a scenario with them in
// alternation on the same machine. Both sides see the same noise from
// neighbours, thermal state and background load, which is what makes the
// comparison hold up on shared CI runners where a stored baseline from
// another day does not.
package abtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/benchout"
	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/profile"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// ErrOptions marks errors in what the caller asked for (unknown revision,
// missing scenario file, not a git repository), as opposed to failures of
// the build or of a run.
var ErrOptions = errors.New("invalid A/B options")

// RunnerPackage is the package built at each side.
const RunnerPackage = "./runner/cmd/runner"

// Options configure Run.
type Options struct {
	// Repo is the working tree (side B); default ".".
	Repo string
	// Against is the git revision of side A (a commit, branch or tag).
	Against string
	// Scenario is the scenario file. It is taken from the working tree
	// for both sides, so both run the same workload.
	Scenario string
	// Rounds is the number of runs per side; default
	// verdict.RecommendedRepeats. Fewer than verdict.SamplesNeeded for
	// the metrics judged can only give warnings.
	Rounds int
	// OutDir receives each run's output under A/<round> and B/<round>,
	// and A.txt and B.txt in the Go benchmark format (for benchstat).
	// Default: a temporary directory removed at the end.
	OutDir string
	// Stdout receives progress lines; nil discards them.
	Stdout io.Writer
	// ExtraArgs are passed to every "runner run", such as "-size", "0.2".
	ExtraArgs []string
	// Verdict tunes the comparison.
	Verdict verdict.Options
}

// CaseResult is the judgement of one scenario case (one per matrix entry).
type CaseResult struct {
	Name   string
	A, B   result.Case // every round's run of each side
	Report result.BaselineReport
	// Allocs compares the sides' allocation profiles (nil when neither
	// side's runs wrote one, as for a service run as a command).
	Allocs *result.AllocDiff
}

// Result is the outcome of an A/B comparison.
type Result struct {
	Against  string // as given
	Commit   string // the commit it resolved to
	Scenario string // the scenario's name
	OutDir   string // "" when the output was temporary
	Cases    []CaseResult
	// A and B are each side's results with every round's runs merged
	// into their cases (B's thresholds are judged on them).
	A, B *result.Scenario

	// dir is where the runs' output went (OutDir, or the temporary one)
	// and allocs each side's allocation profiles by case, kept so that
	// Combine can merge the profiles of every round.
	dir    string
	allocs [2]map[string][]profile.AllocSource
}

// Regressed reports whether B regressed against A in any case.
func (r *Result) Regressed() bool {
	for _, c := range r.Cases {
		if verdict.Regressed(c.Report) {
			return true
		}
	}
	return false
}

// Session holds both sides built once, so that several scenarios can be
// compared without building again: the revision checked out in a
// temporary git worktree with its runner built, and the working tree's
// runner. Close removes the worktree.
type Session struct {
	opts     Options
	commit   string
	tmp      string
	worktree string
	a, b     binary
}

// binary is one side's built runner and the tree it runs in.
type binary struct {
	name, label string
	src, bin    string
}

// Open resolves the revision, checks it out in a temporary worktree and
// builds the runner at both sides. opts.Scenario is not needed (it is
// checked when set). The caller must Close the session.
func Open(ctx context.Context, opts Options) (*Session, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	commit, err := resolve(ctx, opts.Repo, opts.Against)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "sqsperf-ab-*")
	if err != nil {
		return nil, fmt.Errorf("A/B: %w", err)
	}
	s := &Session{opts: opts, commit: commit, tmp: tmp, worktree: filepath.Join(tmp, "worktree")}
	if _, err := git(ctx, opts.Repo, "worktree", "add", "--detach", s.worktree, commit); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("A/B: checking out %s: %w", opts.Against, err)
	}
	s.a = binary{name: "A", label: fmt.Sprintf("%s (%s)", opts.Against, short(commit)), src: s.worktree, bin: filepath.Join(tmp, "runner-A")}
	s.b = binary{name: "B", label: "working tree", src: opts.Repo, bin: filepath.Join(tmp, "runner-B")}
	for _, side := range []binary{s.a, s.b} {
		fmt.Fprintf(s.out(), "building %s: %s\n", side.name, side.label)
		if err := build(ctx, side); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	return s, nil
}

// Commit is the commit side A was built from.
func (s *Session) Commit() string { return s.commit }

// Label names side A for reports: the revision as given and its commit.
func (s *Session) Label() string { return s.a.label }

func (s *Session) out() io.Writer {
	if s.opts.Stdout == nil {
		return io.Discard
	}
	return s.opts.Stdout
}

// Close removes the temporary worktree and the built runners. The
// worktree goes even when the caller's context was cancelled, or the
// repository would keep a registration pointing at a deleted directory.
func (s *Session) Close() error {
	var err error
	cleanup := context.Background()
	if _, rmErr := git(cleanup, s.opts.Repo, "worktree", "remove", "--force", s.worktree); rmErr != nil {
		_, _ = git(cleanup, s.opts.Repo, "worktree", "prune")
		err = fmt.Errorf("A/B: removing the temporary worktree: %w", rmErr)
	}
	return errors.Join(err, os.RemoveAll(s.tmp))
}

// Run builds the runner at opts.Against (in a temporary git worktree,
// removed afterwards even on error) and in the working tree, runs the
// scenario with each in alternation, and judges B against A.
func Run(ctx context.Context, opts Options) (res *Result, err error) {
	if opts.Scenario == "" {
		return nil, fmt.Errorf("%w: no scenario file given", ErrOptions)
	}
	s, err := Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return s.Compare(ctx, s.opts.Scenario, s.opts.Rounds, s.opts.OutDir)
}

// Compare runs one scenario file with both sides in alternation, rounds
// times each, and judges B against A. outDir keeps every run's output
// ("" for a temporary directory inside the session).
func (s *Session) Compare(ctx context.Context, scenarioFile string, rounds int, outDir string) (*Result, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("%w: rounds must be at least 1, got %d", ErrOptions, rounds)
	}
	scenarioFile, err := filepath.Abs(scenarioFile)
	if err != nil {
		return nil, fmt.Errorf("A/B: %w", err)
	}
	if st, err := os.Stat(scenarioFile); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%w: scenario file %s cannot be read", ErrOptions, scenarioFile)
	}
	keep := outDir != ""
	if keep {
		// Each side's runner runs in its own tree: a relative directory
		// would land in a different place for each.
		if outDir, err = filepath.Abs(outDir); err != nil {
			return nil, fmt.Errorf("A/B: %w", err)
		}
	} else {
		outDir, err = os.MkdirTemp(s.tmp, "out-*")
		if err != nil {
			return nil, fmt.Errorf("A/B: %w", err)
		}
	}
	opts := s.opts
	opts.Scenario = scenarioFile
	sides := []*side{{binary: s.a}, {binary: s.b}}
	// Alternate the order each round (AB, BA, AB, ...): with plain ABAB
	// a machine that slowly warms up or gets busier would always favour
	// the side that runs first; swapping cancels a linear trend.
	for round := 1; round <= rounds; round++ {
		order := []*side{sides[0], sides[1]}
		if round%2 == 0 {
			order = []*side{sides[1], sides[0]}
		}
		for _, sd := range order {
			start := time.Now()
			sc, resultDir, err := runOnce(ctx, sd, opts, outDir, round)
			if err != nil {
				return nil, err
			}
			sd.add(sc, round)
			sd.addAllocs(sc, resultDir)
			fmt.Fprintf(s.out(), "round %d/%d %s %s: %s in %s\n", round, rounds, sd.name, sd.label, sc.Verdict, time.Since(start).Round(time.Millisecond))
		}
	}

	res := &Result{Against: opts.Against, Commit: s.commit, Scenario: sides[1].scenario.Name, A: sides[0].merged(), B: sides[1].merged(),
		dir: outDir, allocs: [2]map[string][]profile.AllocSource{sides[0].allocs, sides[1].allocs}}
	if keep {
		res.OutDir = outDir
		for _, sd := range sides {
			if err := sd.writeBenchfmt(filepath.Join(outDir, sd.name+".txt")); err != nil {
				return nil, err
			}
		}
	}
	res.Cases = judge(sides[0], sides[1], opts)
	res.diffAllocs(keep)
	return res, nil
}

// Combine judges two comparisons of the same scenario as one, every round
// of both paired as it ran: the confirmation of a flagged regression adds
// fresh rounds to the evidence instead of starting over, so a real change
// gains power with every round while noise that happened to line up in
// the first rounds is diluted by the new ones.
func (s *Session) Combine(first, second *Result) *Result {
	a, b := &side{binary: s.a}, &side{binary: s.b}
	round := 0
	for _, r := range []*Result{first, second} {
		round++
		a.add(r.A, round)
		b.add(r.B, round)
		for i, sd := range []*side{a, b} {
			for name, srcs := range r.allocs[i] {
				if sd.allocs == nil {
					sd.allocs = map[string][]profile.AllocSource{}
				}
				sd.allocs[name] = append(sd.allocs[name], srcs...)
			}
		}
	}
	for _, sd := range []*side{a, b} {
		for _, c := range sd.cases {
			for i := range c.Runs {
				c.Runs[i].Repeat = i + 1
			}
		}
	}
	res := &Result{Against: first.Against, Commit: first.Commit, Scenario: first.Scenario, OutDir: first.OutDir,
		A: a.merged(), B: b.merged(), Cases: judge(a, b, s.opts),
		dir: first.dir, allocs: [2]map[string][]profile.AllocSource{a.allocs, b.allocs}}
	res.diffAllocs(first.OutDir != "")
	return res
}

func (o *Options) normalise() error {
	if o.Repo == "" {
		o.Repo = "."
	}
	if o.Rounds == 0 {
		o.Rounds = verdict.RecommendedRepeats
	}
	if o.Rounds < 1 {
		return fmt.Errorf("%w: rounds must be at least 1, got %d", ErrOptions, o.Rounds)
	}
	if o.Against == "" {
		return fmt.Errorf("%w: no revision to compare against: give one such as main or HEAD~1", ErrOptions)
	}
	if strings.HasPrefix(o.Against, "-") {
		return fmt.Errorf("%w: revision %q looks like a flag", ErrOptions, o.Against)
	}
	var err error
	if o.Repo, err = filepath.Abs(o.Repo); err != nil {
		return fmt.Errorf("A/B: %w", err)
	}
	if o.Scenario != "" {
		if o.Scenario, err = filepath.Abs(o.Scenario); err != nil {
			return fmt.Errorf("A/B: %w", err)
		}
		if st, err := os.Stat(o.Scenario); err != nil || st.IsDir() {
			return fmt.Errorf("%w: scenario file %s cannot be read", ErrOptions, o.Scenario)
		}
	}
	if o.OutDir != "" {
		if o.OutDir, err = filepath.Abs(o.OutDir); err != nil {
			return fmt.Errorf("A/B: %w", err)
		}
	}
	return nil
}

// resolve turns a revision into a commit id, so both the worktree and the
// report name exactly what was measured even if a branch moves meanwhile.
func resolve(ctx context.Context, repo, rev string) (string, error) {
	if _, err := git(ctx, repo, "rev-parse", "--git-dir"); err != nil {
		return "", fmt.Errorf("%w: %s is not inside a git repository (%v)", ErrOptions, repo, err)
	}
	out, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("%w: revision %q is not a commit in %s: try a branch, a tag or a commit id from 'git log'", ErrOptions, rev, repo)
	}
	return strings.TrimSpace(out), nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

type side struct {
	binary
	scenario  *result.Scenario // the first round's result, with every round's runs merged in
	cases     map[string]*result.Case
	caseOrder []string
	// allocs are the runs' allocation profiles by case, with absolute
	// paths. A runner built before it wrote them leaves this empty.
	allocs map[string][]profile.AllocSource
}

func build(ctx context.Context, s binary) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", s.bin, RunnerPackage)
	cmd.Dir = s.src
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("A/B: building the runner of side %s (%s) failed: %w\n%s", s.name, s.label, err, tail(output.String(), 40))
	}
	return nil
}

// runOnce runs the scenario once with one side's runner and reads its
// result.json, returning it and the directory it was in (the profiles'
// paths are relative to it). A run whose thresholds failed (exit code 1)
// still measured everything, so it counts; any other failure stops the
// comparison.
func runOnce(ctx context.Context, s *side, opts Options, outDir string, round int) (*result.Scenario, string, error) {
	dir := filepath.Join(outDir, s.name, fmt.Sprint(round))
	if err := os.RemoveAll(dir); err != nil {
		return nil, "", fmt.Errorf("A/B: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("A/B: %w", err)
	}
	args := append([]string{"run", "-scenario", opts.Scenario, "-out", dir, "-repeats", "1", "-no-baseline"}, opts.ExtraArgs...)
	logPath := filepath.Join(dir, "runner.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("A/B: %w", err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.src
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Quiet, plain output: the child's progress would only fill the log.
	// Both sides keep each run's allocation profile, for the diff under
	// an allocation regression.
	cmd.Env = append(os.Environ(), "CI=true", profile.AllocsEnv+"=1")
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &exit) && exit.ExitCode() == 1) {
		return nil, "", fmt.Errorf("A/B: round %d of side %s (%s): runner %s failed: %w; its output is in %s:\n%s",
			round, s.name, s.label, strings.Join(args, " "), runErr, logPath, tail(readFile(logPath), 20))
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "result.json"))
	if len(matches) != 1 {
		return nil, "", fmt.Errorf("A/B: round %d of side %s (%s): expected one result.json under %s, found %d; runner output is in %s",
			round, s.name, s.label, dir, len(matches), logPath)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		return nil, "", fmt.Errorf("A/B: %w", err)
	}
	var sc result.Scenario
	if err := json.Unmarshal(data, &sc); err != nil {
		return nil, "", fmt.Errorf("A/B: %s is not a result file: %w", matches[0], err)
	}
	if sc.SchemaVersion != result.SchemaVersion {
		return nil, "", fmt.Errorf("A/B: %s has result schema %d, this runner reads %d; the revision is too old or too new to compare with",
			matches[0], sc.SchemaVersion, result.SchemaVersion)
	}
	if len(sc.Cases) == 0 {
		return nil, "", fmt.Errorf("A/B: %s has no cases: the run measured nothing (verdict %q, error %q)", matches[0], sc.Verdict, sc.Error)
	}
	return &sc, filepath.Dir(matches[0]), nil
}

func (s *side) add(sc *result.Scenario, round int) {
	if s.scenario == nil {
		s.scenario = sc
		s.cases = map[string]*result.Case{}
	}
	for _, c := range sc.Cases {
		acc, ok := s.cases[c.Name]
		if !ok {
			acc = &result.Case{Name: c.Name, Params: c.Params}
			s.cases[c.Name] = acc
			s.caseOrder = append(s.caseOrder, c.Name)
		}
		for _, r := range c.Runs {
			r.Repeat = round
			acc.Runs = append(acc.Runs, r)
		}
	}
}

// merged is the side's first result with every round's runs in its cases.
func (s *side) merged() *result.Scenario {
	merged := *s.scenario
	merged.Cases = nil
	for _, name := range s.caseOrder {
		merged.Cases = append(merged.Cases, *s.cases[name])
	}
	return &merged
}

func (s *side) writeBenchfmt(path string) error {
	merged := s.merged()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("A/B: %w", err)
	}
	if err := benchout.Write(f, merged); err != nil {
		f.Close()
		return fmt.Errorf("A/B: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("A/B: %w", err)
	}
	return nil
}

// judge compares B with A case by case. Both ran on this machine, so the
// fingerprint is the same for both and every metric is judged.
func judge(a, b *side, opts Options) []CaseResult {
	backend := ""
	if c := b.cases[b.caseOrder[0]]; len(c.Runs) > 0 {
		backend = c.Runs[0].Backend
	}
	fp := fingerprint.Current(backend)
	names := append([]string(nil), b.caseOrder...)
	for _, n := range a.caseOrder {
		if _, ok := b.cases[n]; !ok {
			names = append(names, n)
		}
	}
	var out []CaseResult
	for _, name := range names {
		cr := CaseResult{Name: name}
		ca, okA := a.cases[name]
		cb, okB := b.cases[name]
		switch {
		case !okA:
			cr.B = *cb
			cr.Report = result.BaselineReport{File: a.label, Warnings: []string{fmt.Sprintf("case %s exists only in the working tree, so there is nothing to compare it with", name)}}
		case !okB:
			cr.A = *ca
			cr.Report = result.BaselineReport{File: a.label, Found: true, Warnings: []string{fmt.Sprintf("case %s exists only at %s and was not run by the working tree", name, a.label)}}
		default:
			cr.A, cr.B = *ca, *cb
			base := baseline.FromCase(a.scenario.Name, a.scenario.Hash, fp, *ca)
			cr.Report = verdict.Compare(base, *cb, fp, opts.Verdict)
			cr.Report.File = a.label
		}
		out = append(out, cr)
	}
	return out
}

// WriteSummary writes a plain-text table of every judged metric.
func (r *Result) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A = %s (%s), B = working tree, scenario %s\n", r.Against, short(r.Commit), r.Scenario)
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "\ncase %s (%d runs A, %d runs B)\n", c.Name, len(c.A.Runs), len(c.B.Runs))
		for _, warn := range c.Report.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", warn)
		}
		if len(c.Report.Comparisons) > 0 {
			fmt.Fprintf(&b, "  %-28s %14s %14s %9s %8s  %s\n", "metric", "A median", "B median", "change", "p", "verdict")
		}
		for _, cmp := range c.Report.Comparisons {
			fmt.Fprintf(&b, "  %-28s %14.6g %14.6g %+8.1f%% %8.3g  %s", cmp.Metric, cmp.Baseline, cmp.Current, 100*cmp.Change, cmp.P, cmp.Verdict)
			if cmp.Note != "" {
				fmt.Fprintf(&b, " (%s)", cmp.Note)
			}
			b.WriteByte('\n')
		}
		if c.Allocs != nil && allocationRegressed(c.Report) {
			for _, line := range diagnose.AllocDiffLines(c.Allocs) {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		}
	}
	if r.OutDir != "" {
		fmt.Fprintf(&b, "\nruns are in %s; compare them with: benchstat %s %s\n", r.OutDir,
			filepath.Join(r.OutDir, "A.txt"), filepath.Join(r.OutDir, "B.txt"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// allocationRegressed reports whether a metric that follows allocations
// regressed, which the allocation profile diff explains.
func allocationRegressed(r result.BaselineReport) bool {
	for _, cmp := range r.Comparisons {
		if cmp.Verdict == verdict.Regression && diagnose.AllocationMetric(cmp.Metric) {
			return true
		}
	}
	return false
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// addAllocs keeps the allocation profiles (profile.KindAllocs) of a
// round's runs, by case, resolved against the directory of the round's
// result.json.
func (s *side) addAllocs(sc *result.Scenario, resultDir string) {
	for _, c := range sc.Cases {
		for _, r := range c.Runs {
			for _, p := range r.Profiles {
				if p.Kind != profile.KindAllocs {
					continue
				}
				if s.allocs == nil {
					s.allocs = map[string][]profile.AllocSource{}
				}
				s.allocs[c.Name] = append(s.allocs[c.Name], profile.AllocSource{
					Path: filepath.Join(resultDir, p.Path), Processed: r.Accounting.Processed})
			}
		}
	}
}

// allocGrowthTop is how many functions an AllocDiff lists.
const allocGrowthTop = 5

// diffAllocs merges each side's allocation profiles case by case into
// <dir>/A-<case>allocs.pprof and B-..., the files a go tool pprof
// -diff_base compares, and lists the functions whose bytes per message
// grew the most. A side without profiles (a revision from before they
// were written, a service run as a command) gets a note instead; a
// profile that cannot be read is a note too, never a failed comparison.
func (r *Result) diffAllocs(kept bool) {
	label := fmt.Sprintf("%s (%s)", r.Against, short(r.Commit))
	for i := range r.Cases {
		c := &r.Cases[i]
		a, b := r.allocs[0][c.Name], r.allocs[1][c.Name]
		if len(a) == 0 && len(b) == 0 {
			continue
		}
		d := &result.AllocDiff{Case: c.Name}
		c.Allocs = d
		prefix := caseFilePrefix(c.Name)
		var base, current map[string]float64
		var errs []string
		if len(b) > 0 {
			d.Current = filepath.Join(r.dir, "B-"+prefix+profile.AllocsFile)
			var err error
			if current, err = profile.MergeAllocs(b, d.Current); err != nil {
				d.Current, current = "", nil
				errs = append(errs, fmt.Sprintf("the working tree's allocation profiles: %v", err))
			}
		}
		if len(a) > 0 {
			d.Base = filepath.Join(r.dir, "A-"+prefix+profile.AllocsFile)
			var err error
			if base, err = profile.MergeAllocs(a, d.Base); err != nil {
				d.Base, base = "", nil
				errs = append(errs, fmt.Sprintf("the allocation profiles of %s: %v", label, err))
			}
		}
		switch {
		case len(a) == 0:
			errs = append(errs, fmt.Sprintf("%s wrote no allocation profile (its runner predates them, or its service ran outside the runner), so there is nothing to diff against; compare with a revision that writes allocs.pprof", label))
		case len(b) == 0:
			errs = append(errs, "the working tree's runs wrote no allocation profile (a service run outside the runner), so there is nothing to diff")
		case base != nil && current != nil:
			d.Grew = profile.AllocGrowth(base, current, allocGrowthTop)
		}
		if !kept && (d.Base != "" || d.Current != "") {
			errs = append(errs, "the profiles were written to a temporary directory, removed at the end: keep them with an output directory (runner compare -out)")
		}
		d.Note = strings.Join(errs, "; ")
	}
}

// caseFilePrefix turns a case name ("scalability/workers=4", or the
// scenario's name when it has no matrix) into a file-name prefix:
// "workers=4-", or "" for the one case of a scenario without a matrix.
func caseFilePrefix(name string) string {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return ""
	}
	r := strings.NewReplacer("/", "of", " ", "-", "..", "_", "\\", "_")
	return r.Replace(name[i+1:]) + "-"
}
