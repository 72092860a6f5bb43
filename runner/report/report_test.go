package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// golden compares got with testdata/name. On a mismatch it writes
// testdata/name.got so the difference can be inspected with diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run: go test ./runner/report -run %s -update", t.Name())
	if !bytes.Equal(want, got) {
		require.NoError(t, os.WriteFile(path+".got", got, 0o644))
		t.Fatalf("%s differs from the golden file; see %s.got (diff it, then rerun with -update if the change is intended)", path, path)
	}
	_ = os.Remove(path + ".got")
}

func render(t *testing.T, write func(io.Writer, *result.Scenario) error, s *result.Scenario) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, write(&buf, s))
	return buf.Bytes()
}

func TestGoldenJSON(t *testing.T) {
	golden(t, "result.json.golden", render(t, WriteJSON, fixture(6)))
}

func TestGoldenMarkdown(t *testing.T) {
	golden(t, "summary.md.golden", render(t, WriteMarkdown, fixture(6)))
}

func TestGoldenJUnit(t *testing.T) {
	golden(t, "junit.xml.golden", render(t, WriteJUnit, fixture(6)))
}

func suiteFixture() []*result.Scenario {
	pass := fixture(4)
	pass.Name = "stress"
	pass.Verdict = result.VerdictPass
	pass.Baseline = &result.BaselineReport{File: "baselines/stress.json", Warnings: []string{"no baseline: run 'make baselines' to create it"}}
	pass.Thresholds = pass.Thresholds[:1]
	broken := &result.Scenario{SchemaVersion: result.SchemaVersion, Name: "pool-capacity", Verdict: result.VerdictError,
		Error: "backend did not start: docker not found"}
	return []*result.Scenario{fixture(4), pass, broken}
}

func TestGoldenSuiteMarkdown(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteSuiteMarkdown(&buf, suiteFixture()))
	golden(t, "suite.md.golden", buf.Bytes())
}

func TestGoldenSuiteJUnit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteSuiteJUnit(&buf, suiteFixture()))
	golden(t, "suite-junit.xml.golden", buf.Bytes())
}

func TestJSONRoundTripsTheWholeResult(t *testing.T) {
	in := fixture(6)
	var got result.Scenario
	require.NoError(t, json.Unmarshal(render(t, WriteJSON, in), &got))

	want := sanitize(in, newScrubber(nil))
	assert.Equal(t, result.SchemaVersion, got.SchemaVersion)
	assert.Equal(t, want.Cases, got.Cases)
	assert.Equal(t, want.Thresholds, got.Thresholds)
	assert.Equal(t, want.Baseline, got.Baseline)
	assert.True(t, want.Started.Equal(got.Started))
}

func TestJSONSetsTheSchemaVersionWhenTheProducerForgot(t *testing.T) {
	var got map[string]any
	require.NoError(t, json.Unmarshal(render(t, WriteJSON, &result.Scenario{Name: "x"}), &got))
	assert.EqualValues(t, result.SchemaVersion, got["schema_version"])
}

func TestNonFiniteMetricsAreDroppedWithANote(t *testing.T) {
	s := fixture(3)
	s.Cases[0].Runs[0].Metrics["throughput"] = math.NaN()
	s.Cases[0].Runs[0].Series[0].Value[1] = math.Inf(1)
	s.Thresholds[0].Observed = math.NaN()

	var got result.Scenario
	require.NoError(t, json.Unmarshal(render(t, WriteJSON, s), &got))
	run := got.Cases[0].Runs[0]
	assert.NotContains(t, run.Metrics, "throughput")
	assert.Contains(t, run.Errors, "metric throughput was not a finite number and is left out of the report")
	// The caller's value is untouched: sanitize works on a copy.
	assert.True(t, math.IsNaN(s.Cases[0].Runs[0].Metrics["throughput"]))

	for _, w := range []func(io.Writer, *result.Scenario) error{WriteMarkdown, WriteHTML, WriteJUnit} {
		assert.NotEmpty(t, render(t, w, s))
	}
}

func TestJUnitParsesAndCountsOutcomes(t *testing.T) {
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(render(t, WriteJUnit, fixture(3)), &doc))
	require.Len(t, doc.Suites, 1)
	suite := doc.Suites[0]
	assert.Equal(t, "worker-scalability", suite.Name)
	// verdict + 5 thresholds + 5 comparisons
	assert.Equal(t, 11, suite.Tests)
	assert.Len(t, suite.Cases, 11)
	// the scenario's regression verdict, one breached threshold, one regression
	assert.Equal(t, 3, doc.Failures)
	assert.Equal(t, 1, doc.Errors, "the threshold that could not be judged")
	assert.Equal(t, 1, doc.Skipped, "the comparison with too few samples")
	assert.Equal(t, "threshold: p99(stage.process) < 50ms [worker-scalability/workers=2]", suite.Cases[2].Name)
	assert.NotNil(t, suite.Cases[2].Failure)
}

func TestScenarioDirStaysInsideRoot(t *testing.T) {
	root := filepath.Join("out", "reports")
	for _, tc := range []struct{ name, want string }{
		{"stress", "stress"},
		{"worker-scalability", "worker-scalability"},
		{"scalability/workers=4", "scalability-workers-4"},
		{"../../etc/passwd", "__-..-etc-passwd"},
		{"..", ""},
		{".hidden", "_hidden"},
		{"/abs/path", "-abs-path"},
		{`C:\windows\system32`, "C--windows-system32"},
		{"a\x00b", "a-b"},
		{"straße", "stra-e"},
		{"", ""},
		{"///", ""},
		{strings.Repeat("x", 300), strings.Repeat("x", maxNameLen)},
	} {
		dir, err := ScenarioDir(root, tc.name)
		if tc.want == "" {
			assert.Error(t, err, "name %q", tc.name)
			continue
		}
		require.NoError(t, err, "name %q", tc.name)
		assert.Equal(t, filepath.Join(root, tc.want), dir, "name %q", tc.name)
	}
	dir, err := ScenarioDir("", "stress")
	require.NoError(t, err)
	assert.Equal(t, "stress", dir)
}

func FuzzScenarioDir(f *testing.F) {
	for _, s := range []string{"stress", "../x", "/etc", "..", "a/../../b", "\\..\\", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		root := filepath.Join("reports")
		dir, err := ScenarioDir(root, name)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil || !filepath.IsLocal(rel) || strings.ContainsAny(rel, `/\`) || strings.HasPrefix(rel, ".") {
			t.Fatalf("ScenarioDir(%q) = %q escapes or hides in %q", name, dir, root)
		}
	})
}

func TestWriteProducesEveryFileAndAppendsTheStepSummary(t *testing.T) {
	root := t.TempDir()
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	require.NoError(t, os.WriteFile(summary, []byte("earlier step\n"), 0o644))

	s := fixture(5)
	files, err := Write(s, Options{Dir: root, StepSummary: summary})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "worker-scalability"), files.Dir)
	for _, p := range []string{files.JSON, files.Markdown, files.HTML, files.JUnit} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(100), p)
		assert.Equal(t, files.Dir, filepath.Dir(p))
	}
	_, err = Write(s, Options{Dir: root, StepSummary: summary})
	require.NoError(t, err)

	data, err := os.ReadFile(summary)
	require.NoError(t, err)
	text := string(data)
	assert.True(t, strings.HasPrefix(text, "earlier step\n"), "appends, never truncates")
	assert.Equal(t, 2, strings.Count(text, "### ❌ worker-scalability: regression"))
	assert.Contains(t, text, "`"+files.Dir+"/`", "names the report directory instead of links")

	entries, err := os.ReadDir(files.Dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no temporary files left behind")
}

func TestWriteRefusesASymlinkedScenarioDir(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(root, "stress")))
	s := fixture(3)
	s.Name = "stress"
	_, err := Write(s, Options{Dir: root})
	require.ErrorContains(t, err, "symbolic link")
	entries, _ := os.ReadDir(elsewhere)
	assert.Empty(t, entries)
}

func TestWriteRejectsANameWithNothingUsable(t *testing.T) {
	_, err := Write(&result.Scenario{Name: "../.."}, Options{Dir: t.TempDir()})
	require.ErrorContains(t, err, "no characters usable")
}

func TestMarkdownEscapesTableBreakers(t *testing.T) {
	s := fixture(3)
	s.Thresholds[0].Expr = "a | b"
	s.Thresholds[0].Display = "x|y\nz"
	out := string(render(t, WriteMarkdown, s))
	assert.Contains(t, out, "| `a \\| b` |")
	assert.Contains(t, out, "| x\\|y z |")
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	s := fixture(5)
	s.Name = `<script>alert("x")</script>`
	s.Cases[0].Runs[0].Profiles = append(s.Cases[0].Runs[0].Profiles, result.Profile{Kind: "heap", Path: "javascript:alert(1)"})
	out := string(render(t, WriteHTML, s))

	assert.NotContains(t, out, `<script>alert("x")</script>`)
	assert.Contains(t, out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	assert.NotContains(t, out, `href="javascript:`)
	assert.Contains(t, out, "Content-Security-Policy")
	assert.Contains(t, out, "default-src 'none'")
	// Nothing is loaded from anywhere: no src attributes at all, and links
	// only to files next to the report or anchors in it.
	assert.NotRegexp(t, regexp.MustCompile(`(?i)\ssrc\s*=`), out)
	for _, m := range regexp.MustCompile(`(?i)\shref="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		assert.NotRegexp(t, `^(?i)(https?:)?//`, m[1], "link %q would leave the report", m[1])
	}
}

func TestAScenarioThatErredStillRendersEveryFormat(t *testing.T) {
	s := &result.Scenario{Name: "broken", Verdict: result.VerdictError, Error: "backend did not start: Docker is not available"}
	for name, w := range map[string]func(io.Writer, *result.Scenario) error{"json": WriteJSON, "md": WriteMarkdown, "html": WriteHTML, "junit": WriteJUnit} {
		out := string(render(t, w, s))
		assert.Contains(t, out, "Docker is not available", name)
	}
	html := string(render(t, WriteHTML, s))
	assert.Contains(t, html, "window.REPORT = {\"cases\":[]}")
}
