package result_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/result"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCaseSamplesSkipsRunsWithoutTheKey(t *testing.T) {
	c := result.Case{Runs: []result.Run{
		{Metrics: map[string]float64{"throughput": 10, "lost": 0}},
		{Metrics: map[string]float64{"lost": 1}},
		{},
		{Metrics: map[string]float64{"throughput": 12}},
	}}
	if got, want := c.Samples("throughput"), []float64{10, 12}; !reflect.DeepEqual(got, want) {
		t.Errorf("Samples(throughput) = %v, want %v", got, want)
	}
	if got, want := c.Samples("lost"), []float64{0, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("Samples(lost) = %v, want %v (a zero is a measurement)", got, want)
	}
	if got := c.Samples("nope"); got == nil || len(got) != 0 {
		t.Errorf("Samples(nope) = %#v, want an empty, non-nil slice", got)
	}
}

// The one rule Judge, the CLI and junit.xml follow.
func TestThresholdFailedAndReportedOnly(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		r                    result.ThresholdResult
		failed, reportedOnly bool
	}{
		{"pass", result.ThresholdResult{Pass: true}, false, false},
		{"breach", result.ThresholdResult{}, true, false},
		{"breach reported only", result.ThresholdResult{Info: true}, false, true},
		{"pass reported only", result.ThresholdResult{Info: true, Pass: true}, false, false},
		{"error", result.ThresholdResult{Error: "not measured"}, true, false},
		{"error reported only is still an error", result.ThresholdResult{Info: true, Error: "not measured"}, true, false},
	} {
		if got := tc.r.Failed(); got != tc.failed {
			t.Errorf("%s: Failed() = %v, want %v", tc.name, got, tc.failed)
		}
		if got := tc.r.ReportedOnly(); got != tc.reportedOnly {
			t.Errorf("%s: ReportedOnly() = %v, want %v", tc.name, got, tc.reportedOnly)
		}
	}
}

// result.json is read by other tools and by `runner report`: its field
// names are a contract (SchemaVersion says when it breaks).
func TestScenarioJSONFieldNames(t *testing.T) {
	s := result.Scenario{
		SchemaVersion: result.SchemaVersion, Name: "stress", File: "scenarios/stress.yaml", Hash: "sha256:1",
		Started: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Verdict: result.VerdictPass,
		Cases:      []result.Case{{Name: "stress", Runs: []result.Run{{Repeat: 1, Metrics: map[string]float64{"lost": 0}}}}},
		Thresholds: []result.ThresholdResult{{Expr: "lost == 0", Display: "0", Pass: true}},
		Baseline: &result.BaselineReport{Found: true, Comparisons: []result.Comparison{
			{Case: "stress", Metric: "throughput", Verdict: result.Unchanged},
		}},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		`"schema_version":1`, `"scenario_hash":"sha256:1"`, `"verdict":"pass"`,
		`"runs":[{"repeat":1,`, `"duration_seconds":0`, `"metrics":{"lost":0}`, `"accounting":{"jobs_sent":0,`,
		`"thresholds":[{"expr":"lost == 0","observed":0,"display":"0","pass":true}]`,
		`"comparisons":[{"case":"stress","metric":"throughput",`, `"verdict":"unchanged"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("result.json lacks %s:\n%s", want, got)
		}
	}
	for _, absent := range []string{`"info"`, `"error"`, `"errors"`, `"warnings"`, `"profiles"`, `"description"`} {
		if strings.Contains(got, absent) {
			t.Errorf("result.json has the empty field %s (omitempty):\n%s", absent, got)
		}
	}

	var back result.Scenario
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip changed the result:\n got %+v\nwant %+v", back, s)
	}
}

// The outcome strings are written to result.json, baselines and reports
// and read back by older tools: their values are a contract.
func TestOutcomeValues(t *testing.T) {
	for _, tc := range []struct {
		o    result.Outcome
		want string
	}{
		{result.Regression, "regression"}, {result.Improvement, "improvement"}, {result.Unchanged, "unchanged"},
		{result.Info, "info"}, {result.Warning, "warning"},
		{result.VerdictPass, "pass"}, {result.VerdictFail, "fail"}, {result.VerdictRegression, "regression"}, {result.VerdictError, "error"},
	} {
		o, want := tc.o, tc.want
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != `"`+want+`"` {
			t.Errorf("%s marshals as %s, want %q", want, got, want)
		}
		var back result.Outcome
		if err := json.Unmarshal(b, &back); err != nil || back != o {
			t.Errorf("%s does not read back: %q, %v", want, back, err)
		}
	}
}

func TestWithoutSeriesKeepsEverythingButTheSamples(t *testing.T) {
	s := &result.Scenario{Name: "stress", Verdict: result.VerdictPass, Cases: []result.Case{{Name: "stress", Runs: []result.Run{{
		Repeat:     1,
		Metrics:    map[string]float64{"lost": 0},
		Accounting: result.Accounting{Processed: 200},
		Series:     []result.Series{{Name: "heap.live", T: []float64{0.1}, Value: []float64{1 << 20}}},
		Batches:    []result.BatchPoint{{Batch: 0}},
		Diagnosis:  []result.Finding{{Category: "backpressure"}},
	}}}}}
	slim := s.WithoutSeries()
	run := slim.Cases[0].Runs[0]
	assert.Nil(t, run.Series)
	assert.Nil(t, run.Batches)
	assert.Equal(t, 200, run.Accounting.Processed)
	assert.Equal(t, "backpressure", run.Diagnosis[0].Category)
	assert.Equal(t, s.Name, slim.Name)
	assert.Equal(t, s.Verdict, slim.Verdict)
	assert.Len(t, s.Cases[0].Runs[0].Series, 1, "the original keeps its samples")
	assert.Len(t, s.Cases[0].Runs[0].Batches, 1)
}
