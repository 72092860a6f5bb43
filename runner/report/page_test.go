package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// stressResult is a real result.json of one 2.5 s stress run
// (go run ./runner/cmd/runner -scenario scenarios/stress.yaml -repeats 1
// -no-baseline -out /tmp/rep): its queue depths have 4 samples a second
// apart, which is what the charts must show honestly.
func stressResult(t *testing.T) *result.Scenario {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "stress-result.json"))
	require.NoError(t, err)
	var s result.Scenario
	require.NoError(t, json.Unmarshal(raw, &s))
	return &s
}

func TestEveryRepeatHasItsChartsInThePage(t *testing.T) {
	p := buildPage(sanitize(fixture(12), newScrubber(nil)))
	require.Len(t, p.Data.Cases, 2)
	for i, c := range p.Data.Cases {
		require.Len(t, c.Repeats, 2, "both repeats are selectable")
		assert.Equal(t, []int{1, 2}, []int{c.Repeats[0].Repeat, c.Repeats[1].Repeat})
		assert.Len(t, p.Cases[i].Repeats, 2)
		// Same places for every repeat, and the repeats' data differ.
		require.Equal(t, len(c.Repeats[0].Charts), len(c.Repeats[1].Charts))
		for j := range c.Repeats[0].Charts {
			assert.Equal(t, c.Repeats[0].Charts[j].ID, c.Repeats[1].Charts[j].ID)
		}
		assert.NotEqual(t, c.Repeats[0].Charts[0].X, c.Repeats[1].Charts[0].X)
	}
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, fixture(12)))
	html := buf.String()
	assert.Contains(t, html, `<select class="repeat" data-case="case0"><option value="0">repeat 1</option><option value="1">repeat 2</option></select>`)
	assert.NotContains(t, html, "Charts show repeat 1 of", "the old note that only repeat 1 is charted")
}

func TestShortRunQueueChartShowsItsSamples(t *testing.T) {
	s := stressResult(t)
	p := buildPage(sanitize(s, newScrubber(nil)))
	var queue *chart
	for i, c := range p.Data.Cases[0].Repeats[0].Charts {
		if c.Title == "Queue depths" {
			queue = &p.Data.Cases[0].Repeats[0].Charts[i]
		}
	}
	require.NotNil(t, queue)
	assert.Contains(t, queue.Note, "sampled about every 1s")
	assert.Contains(t, queue.Note, "only 4 samples in this repeat")
	assert.InDelta(t, s.Cases[0].Runs[0].Duration, queue.WindowEnd, 1e-9, "the chart spans the measured window")
	for _, series := range queue.Series {
		assert.True(t, series.Markers, "%s: every sample is marked", series.Label)
		assert.True(t, series.Step, "%s: a sampled depth is held until the next sample", series.Label)
	}
	var tick *chart
	for i, c := range p.Data.Cases[0].Repeats[0].Charts {
		if c.Bands {
			tick = &p.Data.Cases[0].Repeats[0].Charts[i]
		}
	}
	require.NotNil(t, tick)
	assert.Contains(t, tick.Note, "sampled about every 250ms")
}

func TestSummaryCardIsTheMeasuredWindow(t *testing.T) {
	s := stressResult(t)
	p := buildPage(sanitize(s, newScrubber(nil)))
	var found bool
	for _, kv := range p.Summary {
		assert.NotEqual(t, "run time", kv.Key)
		if kv.Key == "measured window per repeat" {
			found = true
			assert.Equal(t, formatValue(metric.Duration, s.Cases[0].Runs[0].Duration), kv.Value)
			assert.Contains(t, kv.Title, "backend start, warm-up and shutdown are not in it")
		}
	}
	assert.True(t, found)

	p = buildPage(sanitize(fixture(6), newScrubber(nil)))
	for _, kv := range p.Summary {
		if kv.Key == "measured window per repeat" {
			assert.Equal(t, "36.5s median (31s to 42s)", kv.Value, "several repeats: the median and the range, never a sum")
		}
	}
}

func TestStripsShowBothSidesSamples(t *testing.T) {
	p := buildPage(sanitize(fixture(6), newScrubber(nil)))
	require.NotNil(t, p.Baseline)
	strips := p.Baseline.Strips
	require.Len(t, strips, 4, "the info comparison has no strip")
	first := strips[0]
	assert.Equal(t, "cpu.per_message", first.Metric, "regressions first")
	assert.Len(t, first.Base, 6)
	assert.Len(t, first.Cur, 6)
	for _, d := range first.Base {
		assert.GreaterOrEqual(t, d.X, stripLeft)
		assert.LessOrEqual(t, d.X, stripWidth-stripRight)
	}
	// The sides do not overlap: every current dot is right of every baseline dot.
	maxBase := 0.0
	for _, d := range first.Base {
		maxBase = max(maxBase, d.X)
	}
	for _, d := range first.Cur {
		assert.Greater(t, d.X, maxBase)
	}

	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, fixture(6)))
	assert.Contains(t, buf.String(), `data-metric="cpu.per_message" data-verdict="regression"`)
	assert.Equal(t, 12+12+12+4, strings.Count(buf.String(), `<circle `), "one dot per sample")
}

func TestStepSummaryNamesTheArtifactPathNotALink(t *testing.T) {
	root := t.TempDir()
	summary := filepath.Join(t.TempDir(), "step.md")
	files, err := Write(fixture(4), Options{Dir: root, StepSummary: summary})
	require.NoError(t, err)
	step, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.NotContains(t, string(step), "](report.html)", "a relative link inside a step summary resolves against github.com")
	assert.Contains(t, string(step), "`worker-scalability/report.html` in this job's uploaded reports artifact")

	md, err := os.ReadFile(files.Markdown)
	require.NoError(t, err)
	assert.Contains(t, string(md), "[report.html](report.html)", "next to the files, the relative link works")
}

func TestRegressionIsTheCasesFirstDiagnosis(t *testing.T) {
	p := buildPage(sanitize(fixture(6), newScrubber(nil)))
	require.NotEmpty(t, p.Findings)
	assert.Equal(t, "regression", p.Findings[0].Category)
	assert.Contains(t, strings.Join(p.Findings[0].Advice, " "), "-diff_base BASE/cpu.pprof cpu.pprof")
	// One primary per case: the other case's repeats agree, the first
	// case's second reading is a line under its primary.
	var primaries int
	for _, f := range p.Findings[1:] {
		primaries++
		assert.Equal(t, "backpressure", f.Category)
	}
	assert.Equal(t, 2, primaries)
	assert.Equal(t, []string{"leak in 1 of 2 runs: post-GC heap climbs across batches"}, p.Findings[1].Others)
}

func TestRoundPeriod(t *testing.T) {
	for in, want := range map[float64]float64{1.1: 1, 0.98: 1, 0.26: 0.25, 0.011: 0.01, 2.2: 2, 4.4: 5, 0.09: 0.1} {
		assert.InDelta(t, want, roundPeriod(in), 1e-12, "%v", in)
	}
}

func TestAHealthyRunReadsHealthy(t *testing.T) {
	s := fixture(6)
	for ci := range s.Cases {
		for ri := range s.Cases[ci].Runs {
			s.Cases[ci].Runs[ri].Diagnosis = []result.Finding{{Category: "none", Summary: "healthy: no bottleneck found, every diagnosis bound held"}}
		}
	}
	p := buildPage(sanitize(s, newScrubber(nil)))
	last := p.Findings[len(p.Findings)-1]
	assert.Equal(t, "healthy", last.Category)
	assert.Equal(t, "good", last.Class)
	var buf bytes.Buffer
	require.NoError(t, WriteMarkdown(&buf, s))
	assert.Contains(t, buf.String(), "`healthy`: healthy: no bottleneck found")
}

// An A/B's allocation regression names the two sides' merged profiles and
// the function that grew, in report.html and summary.md alike; the diff of
// another case is not borrowed.
func TestAllocationRegressionNamesTheABProfileDiff(t *testing.T) {
	s := fixture(6)
	s.Baseline.Comparisons[1].Verdict = "regression" // alloc.per_message of workers=2
	s.Baseline.Comparisons[1].Current, s.Baseline.Comparisons[1].Change = 48, 0.17
	s.Baseline.AllocDiffs = []result.AllocDiff{
		{Case: "worker-scalability/workers=2", Base: "/out/A-workers=2-allocs.pprof", Current: "/out/B-workers=2-allocs.pprof",
			Grew: []result.AllocGrowth{{Function: "github.com/sqsperf/sqsperf/service.(*Service).invoke", Base: 0, Current: 1856}}},
		{Case: "worker-scalability/workers=4", Base: "/out/A-workers=4-allocs.pprof", Current: "/out/B-workers=4-allocs.pprof",
			Grew: []result.AllocGrowth{{Function: "not.this.one", Base: 0, Current: 9000}}},
	}
	p := buildPage(sanitize(s, newScrubber(nil)))
	var alloc *findingView
	for i, f := range p.Findings {
		if strings.HasPrefix(f.Summary, "alloc.per_message regressed") {
			alloc = &p.Findings[i]
		}
	}
	require.NotNil(t, alloc, "findings: %+v", p.Findings)
	assert.Contains(t, strings.Join(alloc.Evidence, " "), "service.(*Service).invoke 0 B → 1.8 KiB (+1.8 KiB)")
	assert.NotContains(t, strings.Join(alloc.Evidence, " "), "not.this.one")
	assert.Contains(t, alloc.Advice[0], "-diff_base /out/A-workers=2-allocs.pprof /out/B-workers=2-allocs.pprof")

	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, s))
	assert.Contains(t, md.String(), `service.(\*Service).invoke 0 B → 1.8 KiB (+1.8 KiB)`)
	assert.Contains(t, md.String(), `-diff\_base /out/A-workers=2-allocs.pprof /out/B-workers=2-allocs.pprof`)

	// The suite's summary (the PR comment) says what grew, without the advice.
	var suite bytes.Buffer
	require.NoError(t, WriteSuiteMarkdown(&suite, []*result.Scenario{s}))
	assert.Contains(t, suite.String(), `service.(\*Service).invoke 0 B → 1.8 KiB (+1.8 KiB)`)
	assert.NotContains(t, suite.String(), "not.this.one")
	assert.NotContains(t, suite.String(), "-diff\\_base", "advice stays in the scenario's summary.md")
}
