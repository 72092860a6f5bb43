package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/montanaflynn/stats"

	"github.com/sqsperf/sqsperf/runner/internal/sample"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// chart is what the page's script needs to draw one uPlot chart. X is the
// union of the sample times of every series in it; a series has null
// where it has no sample at that time.
type chart struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Unit  string `json:"unit"`
	Bands bool   `json:"bands"` // green/yellow/red latency bands
	Note  string `json:"note,omitempty"`
	// WindowEnd is the end of the measured window in seconds (the x axis
	// starts with it); the page draws it so samples that stop before it
	// read as "not sampled", not as "stayed at this value".
	WindowEnd float64       `json:"windowEnd,omitempty"`
	X         []float64     `json:"x"`
	Series    []chartSeries `json:"series"`
}

type chartSeries struct {
	Label  string     `json:"label"`
	Values []*float64 `json:"values"`
	Points bool       `json:"points,omitempty"` // markers only, no line
	// Markers draws a marker on each sample besides the line: a series of
	// few samples must show where the data is and where it is drawn in.
	Markers bool `json:"markers,omitempty"`
	// Step draws a value held until the next sample, for sampled counts
	// (queue depths) where a sloped line would invent values in between.
	Step bool `json:"step,omitempty"`
	Dash bool `json:"dash,omitempty"`
	// Hidden series start switched off (a click on the legend shows
	// them): in a chart of many queues, the ones that stayed empty are
	// noise that hides the one that filled.
	Hidden bool `json:"hidden,omitempty"`
}

// hideEmptyAbove is the number of series above which all-zero ones start hidden.
const hideEmptyAbove = 3

// fewSamples is the sample count below which a series gets markers:
// with so few, the line between them is drawn in, not measured.
const fewSamples = 30

// tooFewToChart is the sample count below which a chart's note says the
// run was too short to show the series' shape.
const tooFewToChart = 5

// maxPoints bounds the points per series so that a long run's 10ms tick
// probe does not make the page heavy; buckets keep their peak, because
// for lag and depth the peak is what a reader looks for.
const maxPoints = 1500

type chartGroup struct {
	order int
	key   string
	title string
	bands bool
	step  bool // sampled counts: drawn as steps
}

// groupOf decides which chart a series belongs to from its name, so that
// probes can add series without the report knowing each name.
func groupOf(s result.Series) chartGroup {
	first, _, _ := strings.Cut(s.Name, ".")
	switch {
	case first == "tick" || first == "sched":
		if s.Unit == "duration" {
			return chartGroup{0, "latency", "Tick lag and scheduler latency", true, false}
		}
		return chartGroup{1, "latency-" + s.Unit, "Scheduler (" + s.Unit + ")", false, false}
	case first == "heap" || first == "mem" || first == "memory":
		return chartGroup{2, "heap-" + s.Unit, "Memory", false, false}
	case first == "goroutines":
		return chartGroup{3, "goroutines", "Goroutines", false, false}
	case first == "queue":
		if s.Unit == "count" || s.Unit == "" {
			return chartGroup{4, "queue", "Queue depths", false, true}
		}
		return chartGroup{5, "queue-" + s.Unit, "Queues (" + s.Unit + ")", false, false}
	case first == "throughput" || s.Unit == "rate":
		return chartGroup{6, "throughput-" + s.Unit, "Throughput", false, false}
	case first == "gc":
		return chartGroup{7, "gc-" + s.Unit, "GC (" + s.Unit + ")", false, false}
	}
	return chartGroup{8, first + "-" + s.Unit, first + " (" + s.Unit + ")", false, false}
}

// chartSlug makes a chart group key usable in an element id.
func chartSlug(key string) string {
	var b strings.Builder
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// buildCharts turns one run's series and batch points into charts, each
// with an id made of idPrefix and its group, so the same chart of every
// repeat of a case fills the same place on the page.
func buildCharts(idPrefix string, run result.Run) []chart {
	type pending struct {
		group  chartGroup
		series []result.Series
		unit   string
	}
	byKey := map[string]*pending{}
	for _, s := range run.Series {
		if len(s.T) == 0 || len(s.T) != len(s.Value) {
			continue
		}
		g := groupOf(s)
		p := byKey[g.key]
		if p == nil {
			p = &pending{group: g, unit: s.Unit}
			byKey[g.key] = p
		}
		p.series = append(p.series, s)
	}
	// Memory over time needs the quiet points even when no heap series was
	// sampled, since they are what a leak verdict is made of.
	if len(run.Batches) > 0 {
		for _, k := range []string{"heap-bytes", "goroutines"} {
			if byKey[k] == nil {
				g := chartGroup{2, k, "Memory", false, false}
				unit := "bytes"
				if k == "goroutines" {
					g, unit = chartGroup{3, k, "Goroutines", false, false}, "count"
				}
				byKey[k] = &pending{group: g, unit: unit}
			}
		}
	}
	groups := make([]*pending, 0, len(byKey))
	for _, p := range byKey {
		groups = append(groups, p)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].group.order != groups[j].group.order {
			return groups[i].group.order < groups[j].group.order
		}
		return groups[i].group.key < groups[j].group.key
	})

	var out []chart
	for _, p := range groups {
		sort.SliceStable(p.series, func(a, b int) bool { return p.series[a].Name < p.series[b].Name })
		var cols []column
		downsampled := false
		samples := 0
		var every []float64
		for _, s := range p.series {
			t, v, d := downsample(s.T, s.Value, maxPoints)
			downsampled = downsampled || d
			samples = max(samples, len(s.T))
			every = append(every, interval(s.T)...)
			cols = append(cols, column{label: s.Name, t: t, v: v, markers: len(t) < fewSamples, step: p.group.step})
		}
		var note []string
		if period, ok := sample.Median(every); ok && period > 0 {
			note = append(note, fmt.Sprintf("sampled about every %s", formatValue(metric.Duration, roundPeriod(period))))
		}
		if samples > 0 && samples < tooFewToChart {
			note = append(note, fmt.Sprintf("only %d samples in this repeat: too few to show how it moved in between; a scenario whose measured window lasts 10s or more (more jobs, or a larger -size) charts it", samples))
		}
		if downsampled {
			note = append(note, fmt.Sprintf("long series reduced to %d points, keeping each interval's peak", maxPoints))
		}
		switch p.group.key {
		case "heap-bytes":
			extra, n := batchColumns(run, func(b result.BatchPoint) float64 { return b.HeapLive }, "post-GC live heap (after each batch)", metric.HeapLiveSlope, "per batch")
			cols = append(cols, extra...)
			note = append(note, n...)
		case "goroutines":
			extra, n := batchColumns(run, func(b result.BatchPoint) float64 { return b.Goroutines }, "goroutines at quiet points", metric.GoroutinesSlope, "per batch")
			cols = append(cols, extra...)
			note = append(note, n...)
		}
		if len(cols) == 0 {
			continue
		}
		c := align(cols)
		if len(c.Series) > hideEmptyAbove {
			hidden := 0
			for i := range c.Series {
				if allZero(c.Series[i].Values) {
					c.Series[i].Hidden = true
					hidden++
				}
			}
			if hidden > 0 {
				note = append(note, fmt.Sprintf("%d series that stayed at zero are hidden (click the legend to show)", hidden))
			}
		}
		c.ID = idPrefix + "-" + chartSlug(p.group.key)
		c.WindowEnd = run.Duration
		c.Title = p.group.title
		c.Unit = p.unit
		c.Bands = p.group.bands
		if c.Bands {
			note = append(note, "bands: green below 10ms, yellow to 100ms, red above")
		}
		c.Note = strings.Join(note, "; ")
		out = append(out, c)
	}
	return out
}

type column struct {
	label   string
	t, v    []float64
	points  bool
	markers bool
	step    bool
	dash    bool
}

// interval returns the gaps between consecutive sample times.
func interval(t []float64) []float64 {
	var out []float64
	for i := 1; i < len(t); i++ {
		out = append(out, t[i]-t[i-1])
	}
	return out
}

// roundPeriod snaps a measured sampling period to the nearest of 1, 2,
// 2.5 and 5 times a power of ten: samplers are set to such periods, and
// on a busy machine each tick lands a little late (1.1s for 1s).
func roundPeriod(p float64) float64 {
	if p <= 0 || math.IsNaN(p) || math.IsInf(p, 0) {
		return p
	}
	decade := math.Pow(10, math.Floor(math.Log10(p)))
	best := decade
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if math.Abs(math.Log(p/(m*decade))) < math.Abs(math.Log(p/best)) {
			best = m * decade
		}
	}
	return best
}

// batchColumns draws the quiet points after each batch as markers and the
// least-squares line through them, so a leak shows as a rising line and
// its slope is printed beside the chart.
func batchColumns(run result.Run, value func(result.BatchPoint) float64, label, slopeKey, per string) ([]column, []string) {
	if len(run.Batches) == 0 {
		return nil, nil
	}
	pts := column{label: label, points: true}
	series := make([]stats.Coordinate, 0, len(run.Batches))
	for _, b := range run.Batches {
		pts.t = append(pts.t, b.T)
		pts.v = append(pts.v, value(b))
		series = append(series, stats.Coordinate{X: b.T, Y: value(b)})
	}
	cols := []column{pts}
	var notes []string
	if len(series) >= 2 {
		if line, err := stats.LinearRegression(series); err == nil {
			fit := column{label: "trend of the quiet points", dash: true}
			for _, c := range line {
				fit.t = append(fit.t, c.X)
				fit.v = append(fit.v, c.Y)
			}
			cols = append(cols, fit)
		}
	}
	if slope, ok := run.Metrics[slopeKey]; ok {
		notes = append(notes, fmt.Sprintf("%s = %s %s", slopeKey, formatKey(slopeKey, slope), per))
	}
	return cols, notes
}

// align merges the columns' times into one x axis. Times are rounded to a
// millisecond so that probes sampled "at the same time" share a row.
func align(cols []column) chart {
	index := map[int64]bool{}
	for _, c := range cols {
		for _, t := range c.t {
			index[int64(math.Round(t*1000))] = true
		}
	}
	keys := make([]int64, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	pos := make(map[int64]int, len(keys))
	x := make([]float64, len(keys))
	for i, k := range keys {
		pos[k] = i
		x[i] = float64(k) / 1000
	}
	c := chart{X: x}
	for _, col := range cols {
		vals := make([]*float64, len(x))
		for i, t := range col.t {
			v := col.v[i]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			vals[pos[int64(math.Round(t*1000))]] = &v
		}
		c.Series = append(c.Series, chartSeries{Label: col.label, Values: vals, Points: col.points, Markers: col.markers, Step: col.step, Dash: col.dash})
	}
	return c
}

// downsample reduces a series to at most max points by time buckets,
// keeping each bucket's largest value at its time.
func downsample(t, v []float64, max int) ([]float64, []float64, bool) {
	if len(t) <= max {
		return t, v, false
	}
	per := (len(t) + max - 1) / max
	var ot, ov []float64
	for start := 0; start < len(t); start += per {
		end := min(start+per, len(t))
		best := start
		for i := start + 1; i < end; i++ {
			if v[i] > v[best] || math.IsNaN(v[best]) {
				best = i
			}
		}
		ot = append(ot, t[best])
		ov = append(ov, v[best])
	}
	return ot, ov, true
}

func allZero(vals []*float64) bool {
	for _, v := range vals {
		if v != nil && *v != 0 {
			return false
		}
	}
	return true
}
