package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner"
	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// judged builds a measured (not yet judged) result of one case with ten
// repeats, as Run returns it, without running anything.
func judged(name string, cpu float64) (*result.Scenario, *scenario.Scenario) {
	c := result.Case{Name: name}
	for i := range 10 {
		d := float64(i) * 1e-3
		c.Runs = append(c.Runs, result.Run{Metrics: map[string]float64{
			"cpu.per_message":         cpu * (1 + d),
			"alloc.per_message":       80 * (1 + d),
			"alloc.bytes_per_message": 4000 * (1 + d),
			"throughput":              1000 * (1 + d),
			"lost":                    0,
		}})
	}
	res := &result.Scenario{
		Name: name, File: "scenarios/" + name + ".yaml", Hash: "hash-of-" + name,
		Environment: fingerprint.Current("embedded").Environment(),
		Cases:       []result.Case{c},
	}
	return res, &scenario.Scenario{Name: name, File: res.File}
}

// saveBaseline stores the baseline a run of res would have written.
func saveBaseline(t *testing.T, dir string, res *result.Scenario, size float64) string {
	t.Helper()
	b := baseline.FromCase(res.Name, res.Hash, fingerprint.Current("embedded"), res.Cases[0])
	b.Size = size
	path := baseline.Path(dir, res.Name, res.Cases[0].Name)
	require.NoError(t, baseline.Save(path, b))
	return path
}

// A baseline that exists but cannot be used once gave a "note" and PASS
// (exit 0), so a bad merge of baselines/*.json turned CI's regression
// gate off. It is now an error naming the file and what to do (exit 2).
func TestJudgeUnusableBaselineIsAnError(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"truncated":      {"{\n  \"version\": 1,\n  \"samples\": {\"lost\": [0, ", "the file ends in the middle"},
		"version 99":     {`{"version": 99, "scenario": "stress", "case": "stress", "samples": {}}`, "version 99 is not supported"},
		"NaN":            {`{"version": 1, "scenario": "stress", "case": "stress", "samples": {"lost": [NaN]}}`, "malformed JSON"},
		"wrong types":    {`{"version": "1", "samples": {}}`, `field "version": expected int`},
		"null":           {"null", "found null"},
		"array":          {"[]", "found an array"},
		"empty":          {"", "the file is empty"},
		"negative":       {`{"version": 1, "scenario": "stress", "case": "stress", "samples": {"throughput": [-3]}}`, "a rate cannot be negative"},
		"other scenario": {`{"version": 1, "scenario": "memory", "case": "memory", "samples": {"lost": [0]}}`, `baseline of scenario "memory"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			res, sc := judged("stress", 100e-6)
			path := baseline.Path(dir, "stress", "stress")
			require.NoError(t, os.WriteFile(path, []byte(c.body), 0o644))

			code := runner.Judge(res, sc, runner.JudgeOptions{BaselineDir: dir})
			assert.Equal(t, exitcode.Usage, code)
			assert.Equal(t, result.VerdictError, res.Verdict)
			assert.Contains(t, res.Error, path)
			assert.Contains(t, res.Error, c.want)
			assert.Contains(t, res.Error, "runner baseline update -scenario scenarios/stress.yaml")
		})
	}
}

// A missing baseline stays a warning: there is nothing to compare with yet.
func TestJudgeMissingBaselineIsAWarning(t *testing.T) {
	res, sc := judged("stress", 100e-6)
	dir := t.TempDir()
	assert.Equal(t, exitcode.OK, runner.Judge(res, sc, runner.JudgeOptions{BaselineDir: dir}))
	assert.Equal(t, result.VerdictPass, res.Verdict)
	require.NotNil(t, res.Baseline)
	assert.False(t, res.Baseline.Found)
	require.Len(t, res.Baseline.Warnings, 1)
	assert.Contains(t, res.Baseline.Warnings[0], "no baseline at "+baseline.Path(dir, "stress", "stress"))
}

// RunAndJudge looks at the baselines before running, so a broken file
// costs an error, not a run followed by one.
func TestRunAndJudgeRefusesAnUnusableBaselineBeforeRunning(t *testing.T) {
	sc, err := scenario.Load("scenario/testdata/impossible.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	cases, err := sc.Cases()
	require.NoError(t, err)
	path := baseline.Path(dir, sc.Name, cases[0].Name)
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 99}`), 0o644))

	res, code, err := runner.RunAndJudge(t.Context(), sc, runner.Options{}, runner.JudgeOptions{BaselineDir: dir})
	require.Error(t, err)
	assert.Nil(t, res, "nothing ran")
	assert.Equal(t, exitcode.Usage, code)
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "version 99 is not supported")
}

// A run at -size 0.2 once reported a 23% IMPROVEMENT against the
// full-size baseline. Sizes must match, or nothing is compared.
func TestJudgeSkipsABaselineOfAnotherSize(t *testing.T) {
	dir := t.TempDir()
	full, sc := judged("stress", 100e-6)
	saveBaseline(t, dir, full, 1)

	scaled, _ := judged("stress", 77e-6)
	scaled.Size = 0.2
	assert.Equal(t, exitcode.OK, runner.Judge(scaled, sc, runner.JudgeOptions{BaselineDir: dir}))
	require.NotNil(t, scaled.Baseline)
	assert.Empty(t, scaled.Baseline.Comparisons, "no false improvement")
	require.Len(t, scaled.Baseline.Warnings, 1)
	assert.Contains(t, scaled.Baseline.Warnings[0], "taken at -size 1 and this run at -size 0.2, so the comparison was skipped")

	// The same run at the size of its baseline is compared.
	dir2 := t.TempDir()
	saveBaseline(t, dir2, full, 0.2)
	assert.Equal(t, exitcode.OK, runner.Judge(scaled, sc, runner.JudgeOptions{BaselineDir: dir2}))
	assert.NotEmpty(t, scaled.Baseline.Comparisons)
}

// A changed scenario is reported once, by verdict.Compare (Judge once
// checked the hash itself as well), with the file it concerns.
func TestJudgeReportsAChangedScenarioOnce(t *testing.T) {
	dir := t.TempDir()
	res, sc := judged("stress", 100e-6)
	path := saveBaseline(t, dir, res, 1)
	res.Hash = "hash-of-an-edited-stress"
	assert.Equal(t, exitcode.OK, runner.Judge(res, sc, runner.JudgeOptions{BaselineDir: dir}))
	var changed []string
	for _, w := range res.Baseline.Warnings {
		if strings.Contains(w, "scenario") && strings.Contains(w, "changed") || strings.Contains(w, "different scenario settings") {
			changed = append(changed, w)
		}
	}
	require.Len(t, changed, 1, "%q", res.Baseline.Warnings)
	assert.Contains(t, changed[0], "the scenario file changed since baseline "+path)
}

// UpdateBaselines records the size the baseline was measured at.
func TestUpdateBaselinesRecordsTheSize(t *testing.T) {
	dir := t.TempDir()
	res, sc := judged("stress", 100e-6)
	res.Size = 0.2
	res.Verdict = result.VerdictPass
	written, err := runner.UpdateBaselines(res, sc, dir)
	require.NoError(t, err)
	require.Len(t, written, 1)
	b, err := baseline.Load(filepath.Clean(written[0]))
	require.NoError(t, err)
	assert.Equal(t, 0.2, b.Size)
}

// Run records the -size it ran at, which Judge and UpdateBaselines use.
func TestJudgeSeesTheSizeOfTheRun(t *testing.T) {
	sc, err := scenario.Load("scenario/testdata/impossible.yaml")
	require.NoError(t, err)
	res, err := runner.Run(t.Context(), sc, runner.Options{Size: 0.5})
	require.NoError(t, err)
	assert.Equal(t, 0.5, res.Size)
}
