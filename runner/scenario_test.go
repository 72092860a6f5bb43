package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// TestScenario runs every file in scenarios/ as a subtest, judges it
// against its thresholds and stored baseline, writes its reports to
// reports/, and fails on a breach or a regression: this is the CI gate
// ("go test ./runner -run Scenario"). SQSPERF_SIZE scales the counts.
func TestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("scenario suite skipped in -short mode")
	}
	files, err := filepath.Glob("../scenarios/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no scenario files in scenarios/")
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
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Load(file)
			require.NoError(t, err)
			res, code, err := runner.RunAndJudge(context.Background(), sc, runner.Options{
				Size:       size,
				Progress:   testWriter{t},
				Getenv:     os.Getenv,
				ProfileDir: filepath.Join("..", "reports", sc.Name),
			}, judge)
			require.NoError(t, err)
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

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
