package cli

import (
	"bytes"
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
