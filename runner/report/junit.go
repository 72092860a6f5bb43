package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// The JUnit shape below is the common subset that Jenkins, GitLab,
// GitHub test-reporter actions and Surefire-style parsers all accept:
// testsuites > testsuite > testcase with failure/error/skipped children.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	seconds    float64
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, s *result.Scenario) error {
	return encodeJUnit(w, []*result.Scenario{s})
}

func writeSuiteJUnit(w io.Writer, all []*result.Scenario) error {
	return encodeJUnit(w, all)
}

func encodeJUnit(w io.Writer, all []*result.Scenario) error {
	doc := junitSuites{Name: "sqsperf"}
	var total float64
	for _, s := range all {
		suite := junitSuiteOf(s)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		total += suite.seconds
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding junit.xml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func junitSuiteOf(s *result.Scenario) junitSuite {
	suite := junitSuite{Name: s.Name}
	if !s.Started.IsZero() {
		suite.Timestamp = s.Started.UTC().Format(time.RFC3339)
	}
	for _, kv := range [][2]string{{"file", s.File}, {"scenario_hash", s.Hash}, {"verdict", string(s.Verdict)}} {
		if kv[1] != "" {
			suite.Properties = append(suite.Properties, junitProperty{Name: kv[0], Value: kv[1]})
		}
	}
	for _, c := range s.Cases {
		for _, r := range c.Runs {
			suite.seconds += r.Duration
		}
	}
	class := "sqsperf." + SafeName(s.Name)

	// The scenario's own verdict is a test case, so a scenario without
	// thresholds still shows up (and fails) in a test tab.
	verdictCase := junitCase{Name: "verdict", ClassName: class, Time: seconds(suite.seconds)}
	switch s.Verdict {
	case result.VerdictPass:
	case result.VerdictFail:
		verdictCase.Failure = &junitProblem{Message: "a threshold failed", Type: "threshold", Text: failedThresholds(s)}
	case result.VerdictRegression:
		verdictCase.Failure = &junitProblem{Message: "a significant regression against the baseline", Type: "regression"}
	default:
		msg := s.Error
		if msg == "" {
			msg = "the scenario did not produce a verdict"
		}
		verdictCase.Error = &junitProblem{Message: msg, Type: "error"}
	}
	suite.add(verdictCase)

	for _, t := range s.Thresholds {
		name := "threshold: " + t.Expr
		if t.Case != "" {
			name += " [" + t.Case + "]"
		}
		tc := junitCase{Name: name, ClassName: class + ".thresholds", Time: seconds(0)}
		switch {
		case t.Error != "":
			tc.Error = &junitProblem{Message: "not judged: " + t.Error, Type: "threshold", Text: sourceLine(t)}
		case t.ReportedOnly():
			tc.SystemOut = "observed " + orDash(t.Display) + ": outside the bound, reported only (timing not representative here)"
		case !t.Pass:
			tc.Failure = &junitProblem{
				Message: fmt.Sprintf("observed %s, bound: %s", orDash(t.Display), t.Expr),
				Type:    "threshold",
				Text:    sourceLine(t),
			}
		default:
			tc.SystemOut = "observed " + orDash(t.Display)
		}
		suite.add(tc)
	}

	if s.Baseline != nil {
		for _, c := range s.Baseline.Comparisons {
			name := "baseline: " + c.Metric
			if c.Case != "" {
				name += " [" + c.Case + "]"
			}
			detail := fmt.Sprintf("baseline %s, current %s, change %s, p=%s, tolerance %s",
				formatKey(c.Metric, c.Baseline), formatKey(c.Metric, c.Current), formatChange(c.Change),
				formatP(c.P), formatValue(metric.Ratio, c.Tolerance))
			if c.Note != "" {
				detail += "; " + c.Note
			}
			tc := junitCase{Name: name, ClassName: class + ".baseline", Time: seconds(0)}
			switch c.Verdict {
			case "regression":
				tc.Failure = &junitProblem{Message: "regression: " + detail, Type: "regression"}
			case "warning":
				tc.Skipped = &junitProblem{Message: "not judged: " + detail}
			default:
				tc.SystemOut = string(c.Verdict) + ": " + detail
			}
			suite.add(tc)
		}
	}
	suite.Time = seconds(suite.seconds)
	return suite
}

func (s *junitSuite) add(tc junitCase) {
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Error != nil:
		s.Errors++
	case tc.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
}

func sourceLine(t result.ThresholdResult) string {
	if t.Source == "" {
		return ""
	}
	return "defined at " + t.Source
}

func failedThresholds(s *result.Scenario) string {
	var lines []string
	for _, t := range s.Thresholds {
		switch {
		case t.Error != "":
			lines = append(lines, fmt.Sprintf("%s: not judged: %s", t.Expr, t.Error))
		case t.Failed():
			lines = append(lines, fmt.Sprintf("%s: observed %s", t.Expr, orDash(t.Display)))
		}
	}
	return strings.Join(lines, "\n")
}
