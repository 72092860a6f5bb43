// Command inject measures whether the pull-request verdict catches real
// regressions, and how often it raises a false alarm, through the exact
// path a pull request takes: for each change it copies the tree at HEAD
// (a git worktree), applies the change to the service, and runs
// "go test ./runner -run Scenario" there with SQSPERF_AGAINST=HEAD, the
// interleaved A/B of the perf workflow. It prints one row per trial and a
// table of rates:
//
//	go run ./runner/internal/inject -changes none,cpu,alloc -trials 10 -scenarios stress
//	../shared/tools/noisy-neighbour -- go run ./runner/internal/inject ...   # a busy machine
//	go run ./runner/internal/inject -stored -changes deletes ...              # the stored-baseline path
//
// The changes are listed in changes.go; -list prints them.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/result"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // the usage is printed: -h is not a failure
		}
		fmt.Fprintln(os.Stderr, "inject:", err)
		os.Exit(1)
	}
}

type trial struct {
	Change, Scenario string
	Trial            int
	Verdict          string
	Caught           bool
	Regressed        []string // metric [case] +x%
	Failed           []string // thresholds
	Moved            []string // every judged metric's change and p-value, for the record
	Seconds          float64
	Err              string `json:",omitempty"`
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	names := fs.String("changes", "none,cpu,alloc,retain,deletes,polling,lock,goroutine,io", "comma-separated `CHANGES` to inject (see -list)")
	scenarios := fs.String("scenarios", "stress", "comma-separated scenario `NAMES` (files in scenarios/) to run on each")
	trials := fs.Int("trials", 1, "trials per change")
	rounds := fs.Int("rounds", 0, "SQSPERF_ROUNDS per side (0: the suite's default)")
	cpuWork := fs.Int("cpu-work", 143, "hash `ROUNDS` of the cpu change (calibrate: +15% of cpu.per_message)")
	repo := fs.String("repo", ".", "the repository (its HEAD is copied)")
	out := fs.String("out", "reports/inject", "`DIR` for the rows (rows.jsonl) and each trial's reports")
	list := fs.Bool("list", false, "list the changes and exit")
	stored := fs.Bool("stored", false, "judge against the stored baselines (baselines/) instead of the A/B against HEAD")
	if err := fs.Parse(args); err != nil {
		return err
	}
	all := changes(*cpuWork)
	if *list {
		for _, c := range all {
			fmt.Fprintf(stdout, "%-10s %s\n", c.name, c.what)
		}
		return nil
	}
	byName := map[string]change{}
	for _, c := range all {
		byName[c.name] = c
	}
	var picked []change
	for _, n := range strings.Split(*names, ",") {
		c, ok := byName[strings.TrimSpace(n)]
		if !ok {
			return fmt.Errorf("unknown change %q: run with -list", n)
		}
		picked = append(picked, c)
	}
	var pattern []string
	for _, s := range strings.Split(*scenarios, ",") {
		pattern = append(pattern, "^"+strings.TrimSpace(s)+"$")
	}
	runPattern := "^TestScenario$/" + strings.Join(pattern, "|")
	if len(pattern) > 1 {
		runPattern = "^TestScenario$/(" + strings.Join(pattern, "|") + ")"
	}
	absOut, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(absOut, 0o755); err != nil {
		return err
	}
	rowsFile, err := os.OpenFile(filepath.Join(absOut, "rows.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer rowsFile.Close()

	var rows []trial
	for _, c := range picked {
		wt, cleanup, err := prepare(ctx, *repo, c)
		if err != nil {
			return err
		}
		testBin := filepath.Join(filepath.Dir(wt), "runner.test")
		if out, err := command(ctx, wt, nil, "go", "test", "-c", "-o", testBin, "./runner"); err != nil {
			cleanup()
			return fmt.Errorf("change %s: building the tests: %w\n%s", c.name, err, out)
		}
		for i := 1; i <= *trials; i++ {
			env := []string{"SQSPERF_AGAINST=HEAD", "CI=true"}
			if *stored {
				env = []string{"SQSPERF_AGAINST=", "CI=true"}
			}
			if *rounds > 0 {
				env = append(env, fmt.Sprintf("SQSPERF_ROUNDS=%d", *rounds))
			}
			start := time.Now()
			log, _ := command(ctx, filepath.Join(wt, "runner"), env, testBin, "-test.count=1", "-test.timeout=120m", "-test.v", "-test.run", runPattern)
			if ctx.Err() != nil {
				cleanup()
				return ctx.Err()
			}
			for _, sc := range strings.Split(*scenarios, ",") {
				sc = strings.TrimSpace(sc)
				row := readRow(filepath.Join(wt, "reports", sc, "result.json"), c.name, sc, i)
				row.Seconds = time.Since(start).Seconds()
				_ = copyFile(filepath.Join(wt, "reports", sc, "result.json"), filepath.Join(absOut, fmt.Sprintf("%s-%s-%d.json", c.name, sc, i)))
				// The sides' merged allocation profiles, for go tool pprof
				// -diff_base after the tree is gone.
				for _, side := range []string{"A", "B"} {
					_ = copyFile(filepath.Join(wt, "reports", "ab", sc, side+"-allocs.pprof"), filepath.Join(absOut, fmt.Sprintf("%s-%s-%d-%s-allocs.pprof", c.name, sc, i, side)))
				}
				if row.Err != "" {
					_ = os.WriteFile(filepath.Join(absOut, fmt.Sprintf("%s-%s-%d.log", c.name, sc, i)), log, 0o644)
				}
				rows = append(rows, row)
				line, _ := json.Marshal(row)
				fmt.Fprintf(rowsFile, "%s\n", line)
				fmt.Fprintf(stdout, "%-10s %-12s trial %2d: %-10s caught=%-5v %s %s %s\n", row.Change, row.Scenario, i, row.Verdict, row.Caught,
					strings.Join(row.Regressed, "; "), strings.Join(row.Failed, "; "), row.Err)
			}
			_ = os.RemoveAll(filepath.Join(wt, "reports"))
		}
		cleanup()
	}
	printTable(stdout, rows)
	return nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// prepare copies HEAD into a temporary worktree and applies the change.
func prepare(ctx context.Context, repo string, c change) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "sqsperf-inject-*")
	if err != nil {
		return "", nil, err
	}
	wt := filepath.Join(tmp, "tree")
	if out, err := command(ctx, repo, nil, "git", "worktree", "add", "--detach", wt, "HEAD"); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("git worktree add: %w\n%s", err, out)
	}
	cleanup := func() {
		_, _ = command(context.Background(), repo, nil, "git", "worktree", "remove", "--force", wt)
		os.RemoveAll(tmp)
	}
	err = apply(func(f string) (string, error) {
		b, err := os.ReadFile(filepath.Join(wt, f))
		return string(b), err
	}, func(f, s string) error {
		return os.WriteFile(filepath.Join(wt, f), []byte(s), 0o644)
	}, c)
	if err == nil && len(c.edits) > 0 {
		if out, ferr := command(ctx, wt, nil, "gofmt", "-l", "service"); ferr != nil {
			err = fmt.Errorf("change %s does not compile cleanly: %v\n%s", c.name, ferr, out)
		}
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return wt, cleanup, nil
}

func command(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// readRow reads a trial's verdict from the report the suite wrote.
func readRow(path, changeName, scenario string, i int) trial {
	row := trial{Change: changeName, Scenario: scenario, Trial: i}
	data, err := os.ReadFile(path)
	if err != nil {
		row.Err = "no result: " + err.Error()
		return row
	}
	var res result.Scenario
	if err := json.Unmarshal(data, &res); err != nil {
		row.Err = err.Error()
		return row
	}
	row.Verdict = string(res.Verdict)
	row.Caught = res.Verdict != result.VerdictPass
	if res.Baseline != nil {
		for _, c := range res.Baseline.Comparisons {
			if c.Verdict == "regression" {
				row.Regressed = append(row.Regressed, fmt.Sprintf("%s [%s] %+.1f%%", c.Metric, c.Case, 100*c.Change))
			}
			if c.Verdict != "info" {
				row.Moved = append(row.Moved, fmt.Sprintf("%s %+.1f%% p=%.2g %s", c.Metric, 100*c.Change, c.P, c.Verdict))
			}
		}
	}
	for _, t := range res.Thresholds {
		if !t.Pass && !t.Info {
			row.Failed = append(row.Failed, fmt.Sprintf("%s [%s] %s", t.Expr, t.Case, t.Display))
		}
	}
	return row
}

func printTable(w io.Writer, rows []trial) {
	type key struct{ change, scenario string }
	agg := map[key][]trial{}
	var keys []key
	for _, r := range rows {
		k := key{r.Change, r.Scenario}
		if _, ok := agg[k]; !ok {
			keys = append(keys, k)
		}
		agg[k] = append(agg[k], r)
	}
	fmt.Fprintf(w, "\n| change | scenario | caught | metrics that caught it (change seen) |\n|---|---|---|---|\n")
	for _, k := range keys {
		caught := 0
		seen := map[string]int{}
		for _, r := range agg[k] {
			if r.Caught {
				caught++
			}
			for _, m := range append(append([]string(nil), r.Regressed...), r.Failed...) {
				seen[m]++
			}
		}
		var ms []string
		for m := range seen {
			ms = append(ms, m)
		}
		sort.Strings(ms)
		if len(ms) > 6 {
			ms = append(ms[:6], "...")
		}
		fmt.Fprintf(w, "| %s | %s | %d of %d | %s |\n", k.change, k.scenario, caught, len(agg[k]), strings.Join(ms, "; "))
	}
}
