package runner_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/abtest"
	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

// TestScenario runs every file in scenarios/ as a subtest, judges it
// against its thresholds and stored baseline, writes its reports to
// reports/, and fails on a breach or a regression: this is the CI gate
// ("go test ./runner -run Scenario"). SQSPERF_SIZE scales the counts.
//
// With SQSPERF_AGAINST=REV (the pull-request workflow sets the merge base)
// each scenario is instead judged against REV, interleaved on this machine
// (runner compare): SQSPERF_ROUNDS runs per side (default
// runner.DefaultABRounds). That is the pull-request verdict, reproduced
// locally with the same command.
func TestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("scenario suite skipped in -short mode")
	}
	files, err := filepath.Glob("../scenarios/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no scenario files in scenarios/")
	if against := os.Getenv("SQSPERF_AGAINST"); against != "" {
		testScenarioAgainst(t, files, against)
		return
	}
	size := 1.0
	if s := os.Getenv("SQSPERF_SIZE"); s != "" {
		size, err = strconv.ParseFloat(s, 64)
		require.NoError(t, err, "SQSPERF_SIZE must be a number such as 0.5 or 10")
	}
	judge := runner.JudgeOptions{BaselineDir: "../baselines", Confirm: 1}
	if raceEnabled {
		// The race detector makes the process several times slower, so
		// time-based thresholds and the baselines would judge the detector,
		// not the service: accounting, allocation and count thresholds
		// still judge. The perf workflow runs this test without -race.
		t.Log("race detector on: time-based thresholds are reported, not judged, and baselines are not compared (run without -race for the full verdict)")
		judge = runner.JudgeOptions{TimeAsInfo: true}
	}
	var all []*result.Scenario
	t.Cleanup(func() { writeSuite(t, all) })
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Load(file)
			require.NoError(t, err)
			res, code, err := runner.RunAndJudge(t.Context(), sc, runner.Options{
				Size:       size,
				Progress:   testWriter{t},
				Getenv:     os.Getenv,
				ProfileDir: filepath.Join("..", "reports", sc.Name),
			}, judge)
			require.NoError(t, err)
			all = append(all, res.WithoutSeries())
			files, err := report.Write(res, report.Options{Dir: "../reports", StepSummary: os.Getenv("GITHUB_STEP_SUMMARY")})
			require.NoError(t, err)
			for _, th := range res.Thresholds {
				note := ""
				if th.Info {
					note = "(not judged under -race)"
				}
				t.Logf("threshold %-45s %-6v %s %s%s", th.Expr, th.Pass, th.Display, th.Error, note)
			}
			if res.Baseline != nil {
				for _, w := range res.Baseline.Warnings {
					t.Logf("baseline: %s", w)
				}
				for _, c := range res.Baseline.Comparisons {
					if c.Verdict == result.Regression {
						t.Logf("regression: %s [%s] %+.1f%% p=%.3g", c.Metric, c.Case, c.Change*100, c.P)
					}
				}
			}
			if code != exitcode.OK {
				t.Errorf("%s: %s (%s); reports in %s", sc.Name, res.Verdict, code, files.Dir)
			}
		})
	}
}

func testScenarioAgainst(t *testing.T, files []string, against string) {
	rounds := 0
	if s := os.Getenv("SQSPERF_ROUNDS"); s != "" {
		var err error
		rounds, err = strconv.Atoi(s)
		require.NoError(t, err, "SQSPERF_ROUNDS must be a whole number such as 8")
	}
	var extra []string
	if s := os.Getenv("SQSPERF_SIZE"); s != "" {
		extra = []string{"-size", s}
	}
	session, err := abtest.Open(t.Context(), abtest.Options{Repo: "..", Against: against, Stdout: testWriter{t}, ExtraArgs: extra,
		Verdict: verdict.Options{Tolerance: runner.ABTolerances(), Paired: true}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, session.Close()) })
	t.Logf("judging the working tree against %s, interleaved on this machine", session.Label())
	var all []*result.Scenario
	t.Cleanup(func() { writeSuite(t, all) })
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Load(file)
			require.NoError(t, err)
			res, code, err := runner.JudgeAgainst(t.Context(), session, sc, runner.ABOptions{
				Rounds:   rounds,
				Confirm:  1,
				OutDir:   filepath.Join("..", "reports", "ab", sc.Name),
				Progress: t.Logf,
			})
			require.NoError(t, err)
			all = append(all, res.WithoutSeries())
			files, err := report.Write(res, report.Options{Dir: "../reports", StepSummary: os.Getenv("GITHUB_STEP_SUMMARY")})
			require.NoError(t, err)
			logVerdict(t, res)
			if code != exitcode.OK {
				t.Errorf("%s: %s (%s) against %s; reports in %s", sc.Name, res.Verdict, code, session.Label(), files.Dir)
			}
		})
	}
}

// writeSuite writes reports/summary.md (the pull-request comment) and
// reports/junit.xml over every scenario judged.
func writeSuite(t *testing.T, all []*result.Scenario) {
	if len(all) == 0 {
		return
	}
	for name, write := range map[string]func(io.Writer, []*result.Scenario) error{
		"summary.md": report.WriteSuiteMarkdown,
		"junit.xml":  report.WriteSuiteJUnit,
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b, all))
		require.NoError(t, os.WriteFile(filepath.Join("..", "reports", name), b.Bytes(), 0o644))
	}
}

func logVerdict(t *testing.T, res *result.Scenario) {
	t.Helper()
	for _, th := range res.Thresholds {
		if !th.Pass {
			t.Logf("threshold %s [%s] failed: %s %s", th.Expr, th.Case, th.Display, th.Error)
		}
	}
	if res.Baseline == nil {
		return
	}
	for _, w := range res.Baseline.Warnings {
		t.Logf("baseline: %s", w)
	}
	explained := map[string]bool{}
	for _, c := range res.Baseline.Comparisons {
		if c.Verdict != verdict.Regression {
			continue
		}
		t.Logf("regression: %s [%s] %+.1f%% p=%.3g", c.Metric, c.Case, c.Change*100, c.P)
		if !diagnose.AllocationMetric(c.Metric) || explained[c.Case] {
			continue
		}
		for _, d := range res.Baseline.AllocDiffs {
			if d.Case == c.Case {
				explained[c.Case] = true
				for _, line := range diagnose.AllocDiffLines(&d) {
					t.Logf("  %s", line)
				}
			}
		}
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
