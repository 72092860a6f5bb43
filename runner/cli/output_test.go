package cli

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// Progress goes to stderr, so stderr decides whether lines are redrawn:
// 'runner ... 2>log' from a terminal gets plain lines.
func TestInteractiveFollowsStderr(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name           string
		stdout, stderr bool
		env            map[string]string
		want           bool
	}{
		{"both terminals", true, true, nil, true},
		{"stderr to a file", true, false, nil, false},
		{"stdout piped, stderr a terminal", false, true, nil, true},
		{"CI set", true, true, map[string]string{"CI": "true"}, false},
		{"CI=false", true, true, map[string]string{"CI": "false"}, true},
	} {
		st := newState(nil, nil, env(tc.env), tc.stdout, tc.stderr)
		assert.Equal(t, tc.want, st.Interactive, tc.name)
	}
}

func TestColourHonoursNoColorAndTerminal(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	assert.True(t, newState(nil, nil, env(nil), true, true).color(true))
	assert.False(t, newState(nil, nil, env(nil), true, true).color(false), "not a terminal")
	assert.False(t, newState(nil, nil, env(map[string]string{"NO_COLOR": "1"}), true, true).color(true))
	assert.False(t, newState(nil, nil, env(map[string]string{"TERM": "dumb"}), true, true).color(true))
}

func failedResult() *result.Scenario {
	return &result.Scenario{
		Name:    "t",
		Verdict: "fail",
		Thresholds: []result.ThresholdResult{
			{Expr: "lost == 0", Display: "0", Pass: true},
			{Expr: "p99(stage.process) < 50ms", Display: "80ms, 100%", Case: "t/workers=2"},
			{Expr: "throughput > 200/s", Display: "150/s", Info: true},
		},
		Baseline: &result.BaselineReport{Comparisons: []result.Comparison{
			{Case: "t", Metric: "stage.process.p99", Baseline: 0.05, Current: 0.08, Change: 0.6, P: 0.002, Tolerance: 0.1, Verdict: "regression"},
			{Case: "t", Metric: "cpu.per_message", Baseline: 1, Current: 1.5, Change: 0.5, P: 0.002, Tolerance: 0.1, Verdict: "regression"},
			{Case: "t", Metric: "throughput", Change: -0.3, Verdict: "improvement"},
		}},
	}
}

func TestPrintVerdictColourOnlyWhenAsked(t *testing.T) {
	var plain, coloured bytes.Buffer
	printVerdict(&plain, failedResult(), report.Files{Dir: "reports/t"}, false)
	printVerdict(&coloured, failedResult(), report.Files{Dir: "reports/t"}, true)
	assert.NotContains(t, plain.String(), "\033")
	assert.Contains(t, plain.String(), "  FAIL p99(stage.process) < 50ms [t/workers=2]: 80ms, 100%")
	assert.Contains(t, coloured.String(), "t: \033[31mFAIL\033[0m\n")
	assert.Contains(t, coloured.String(), "\033[32mok  \033[0m lost == 0")
	assert.Contains(t, coloured.String(), "\033[31mREGRESSION\033[0m stage.process.p99")
	assert.Equal(t, stripANSI(coloured.String()), plain.String(), "colour changes nothing but the escapes")
}

func stripANSI(s string) string {
	for _, code := range []string{"\033[31m", "\033[32m", "\033[33m", "\033[0m"} {
		s = strings.ReplaceAll(s, code, "")
	}
	return s
}

// Breaches and regressions become ::error annotations on the scenario's
// lines; passing and info-only thresholds do not.
func TestAnnotateThresholdsAndRegressions(t *testing.T) {
	src := "name: t\nload:\n  jobs: 5\nthresholds:\n  - lost == 0\n  - p99(stage.process) < 50ms\n  - throughput > 200/s\n"
	sc, err := scenario.Parse("scenarios/t.yaml", []byte(src))
	require.NoError(t, err)
	var buf bytes.Buffer
	annotate(&buf, sc, failedResult())
	assert.Equal(t, strings.Join([]string{
		"::error file=scenarios/t.yaml,line=6,title=threshold failed%3A t::p99(stage.process) < 50ms [t/workers=2]: observed 80ms, 100%25",
		"::error file=scenarios/t.yaml,line=6,title=regression%3A t::stage.process.p99 [t] +60.0%25 against the baseline (median 0.05 -> 0.08, p=0.002, tolerance 10%25)",
		"::error file=scenarios/t.yaml,title=regression%3A t::cpu.per_message [t] +50.0%25 against the baseline (median 1 -> 1.5, p=0.002, tolerance 10%25)",
	}, "\n")+"\n", buf.String())
}

func TestEscapeWorkflowCommand(t *testing.T) {
	assert.Equal(t, "a%25b%0Ac%0D", escapeData("a%b\nc\r"))
	assert.Equal(t, "a%3Ab%2Cc", escapeProperty("a:b,c"))
}

// In GitHub Actions a failed run prints an annotation pointing at the
// threshold's line; elsewhere it does not.
func TestRunAnnotatesInGitHubActions(t *testing.T) {
	const file = "../scenario/testdata/impossible.yaml"
	stdout, _, err := runCLI(t, map[string]string{"GITHUB_ACTIONS": "true"}, "run", "-out", t.TempDir(), "-no-baseline", file)
	require.Error(t, err)
	assert.Equal(t, exitcode.Threshold, exitcode.Of(err))
	src, rerr := os.ReadFile(file)
	require.NoError(t, rerr)
	line := 1 + strings.Count(string(src[:strings.Index(string(src), "- throughput > 1000000000/s")]), "\n")
	assert.Contains(t, stdout, "::error file=../scenario/testdata/impossible.yaml,line="+itoa(line)+",title=threshold failed%3A impossible::throughput > 1000000000/s")
	assert.Equal(t, 1, strings.Count(stdout, "::error"), stdout)
}

func itoa(n int) string { return strconv.Itoa(n) }
