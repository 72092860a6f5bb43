package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqsperf/sqsperf/runner/report"
	"github.com/sqsperf/sqsperf/runner/result"
)

// The CLI's mark follows result.ThresholdResult.Failed, like Judge and
// junit.xml: an error is FAIL even on a threshold that is reported only.
func TestPrintVerdictThresholdMarks(t *testing.T) {
	res := &result.Scenario{Name: "s", Verdict: result.VerdictFail, Thresholds: []result.ThresholdResult{
		{Expr: "lost == 0", Pass: true, Display: "0"},
		{Expr: "p99(stage.process) < 1ms", Info: true, Display: "3ms"},
		{Expr: "throughput > 10/s", Info: true, Display: "n/a", Error: "throughput was not measured"},
		{Expr: "recovery < 5s", Display: "n/a", Error: "recovery was not measured"},
		{Expr: "duplicates == 0", Display: "2"},
	}}
	var out bytes.Buffer
	printVerdict(&out, res, report.Files{}, false)
	got := out.String()
	for _, want := range []string{
		"  ok   lost == 0: 0\n",
		"  info p99(stage.process) < 1ms: 3ms\n",
		"  FAIL throughput > 10/s: throughput was not measured\n",
		"  FAIL recovery < 5s: recovery was not measured\n",
		"  FAIL duplicates == 0: 2\n",
	} {
		assert.Contains(t, got, want)
	}
}

// The verdict on stdout names one primary diagnosis per case, the same
// the reports name (the category most repeats gave, "healthy" included),
// with the other repeats' readings on the same line: a case where one
// repeat of six read gc and five read healthy is healthy, not "gc".
func TestPrintVerdictOnePrimaryDiagnosisPerCase(t *testing.T) {
	healthy := result.Finding{Category: "none", Summary: "healthy: no bottleneck found, every diagnosis bound held"}
	gc := result.Finding{Category: "gc", Summary: "garbage collection takes a large share of the CPU"}
	bp := result.Finding{Category: "backpressure", Summary: "tasks wait longer for a worker than they take to run"}
	runs := func(fs ...result.Finding) []result.Run {
		var out []result.Run
		for _, f := range fs {
			out = append(out, result.Run{Diagnosis: []result.Finding{f}})
		}
		return out
	}
	res := &result.Scenario{Name: "s", Verdict: result.VerdictPass, Cases: []result.Case{
		{Name: "mostly-healthy", Runs: runs(gc, healthy, healthy, healthy, healthy, healthy)},
		{Name: "healthy", Runs: runs(healthy, healthy)},
		{Name: "split", Runs: runs(gc, bp, bp)},
	}}
	var out bytes.Buffer
	printVerdict(&out, res, report.Files{}, false)
	got := out.String()
	assert.Contains(t, got, "  diagnosis [mostly-healthy]: healthy: no bottleneck found, every diagnosis bound held (in 5 of 6 runs; other repeats: gc in 1 of 6)\n")
	assert.Contains(t, got, "  diagnosis [healthy]: healthy: no bottleneck found, every diagnosis bound held (in 2 of 2 runs)\n")
	assert.Contains(t, got, "  diagnosis [split]: backpressure: tasks wait longer for a worker than they take to run (in 2 of 3 runs; other repeats: gc in 1 of 3)\n")
	assert.Equal(t, 3, strings.Count(got, "diagnosis ["), "one line per case:\n%s", got)
}
