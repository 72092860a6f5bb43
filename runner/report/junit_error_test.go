package report

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

// junit.xml agrees with Judge and the CLI (result.ThresholdResult.Failed):
// a threshold that could not be evaluated is an <error> even when it is
// reported only (Info), a breach reported only is not a problem, and the
// verdict's failure names every threshold that failed, errors included.
func TestJUnitThresholdErrorIsAnErrorEvenAsInfo(t *testing.T) {
	s := &result.Scenario{Name: "s", File: "s.yaml", Verdict: result.VerdictFail, Thresholds: []result.ThresholdResult{
		{Expr: "p99(stage.process) < 1ms", Info: true, Display: "3ms"},
		{Expr: "throughput > 10/s", Info: true, Display: "n/a", Error: "throughput was not measured"},
	}}
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, s))
	var doc struct {
		Suites []struct {
			Errors   int `xml:"errors,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc), buf.String())
	require.Len(t, doc.Suites, 1)
	suite := doc.Suites[0]
	assert.Equal(t, 1, suite.Errors)
	assert.Equal(t, 1, suite.Failures, "only the verdict fails; the reported-only breach does not")
	require.Len(t, suite.Cases, 3)
	require.NotNil(t, suite.Cases[0].Failure)
	assert.Equal(t, "throughput > 10/s: not judged: throughput was not measured", suite.Cases[0].Failure.Text)
	assert.Nil(t, suite.Cases[1].Error)
	assert.Nil(t, suite.Cases[1].Failure)
	require.NotNil(t, suite.Cases[2].Error)
	assert.Equal(t, "not judged: throughput was not measured", suite.Cases[2].Error.Message)
}
