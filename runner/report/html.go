package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/internal/sample"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// uPlot (MIT, github.com/leeoniya/uPlot, v1.6.32 from the npm package
// "uplot"; its license is in assets/uPlot.LICENSE) is inlined into every
// page so that the report opens offline and makes no network request.
var (
	//go:embed assets/uPlot.iife.min.js
	uPlotJS string
	//go:embed assets/uPlot.min.css
	uPlotCSS string
	//go:embed assets/report.js
	pageJS string
	//go:embed assets/report.css
	pageCSS string
	//go:embed assets/report.html.tmpl
	pageTemplate string
)

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(share float64) string { return fmt.Sprintf("%.1f%%", share*100) },
	// width is computed here from numbers, never from input text, so it
	// is safe to hand to the template as CSS.
	"width": func(percent float64) template.CSS {
		if math.IsNaN(percent) || percent < 0 {
			percent = 0
		}
		return template.CSS(fmt.Sprintf("width: %.1f%%", math.Min(percent, 100)))
	},
}).Parse(pageTemplate))

type page struct {
	Name, Description, File, Hash, Started string
	Verdict, VerdictClass                  string
	Error                                  string
	Summary                                []keyValue
	Environment                            []keyValue
	Thresholds                             []thresholdRow
	Baseline                               *baselineView
	Findings                               []findingView
	Cases                                  []caseView
	Data                                   pageData
	UPlotJS, PageJS                        template.JS
	UPlotCSS, PageCSS                      template.CSS
}

// pageData is what the page's script draws: per case, every repeat's
// charts, of which a select element shows one repeat at a time.
type pageData struct {
	Cases []caseCharts `json:"cases"`
}

type caseCharts struct {
	ID      string         `json:"id"` // "case0": the select's data-case
	Repeats []repeatCharts `json:"repeats"`
}

type repeatCharts struct {
	Repeat int     `json:"repeat"`
	Charts []chart `json:"charts"`
}

// chartCount is the number of charts the page draws when it opens (the
// first repeat of each case).
func (d pageData) chartCount() int {
	n := 0
	for _, c := range d.Cases {
		if len(c.Repeats) > 0 {
			n += len(c.Repeats[0].Charts)
		}
	}
	return n
}

type keyValue struct{ Key, Value, Class, Title string }

type thresholdRow struct {
	Expr, Case, Observed, Outcome, Class, Source string
}

type baselineView struct {
	File, Machine string
	Found         bool
	Warnings      []string
	Rows          []comparisonRow
	Unchanged     int
	Strips        []stripView
}

type comparisonRow struct {
	Case, Metric, Baseline, Current, Change, P, Tolerance, Verdict, Class, Note string
}

type findingView struct {
	Case, Category, Summary, Runs string
	Evidence, Advice              []string
	Class                         string
	// Others are the categories other repeats of the case named instead
	// of the primary one, one short line each.
	Others []string
}

type caseView struct {
	Name, Params, RunNote string
	ID                    string // "case0"
	Repeats               []repeatOption
	ChartIDs              []chartRef
	Stages                []stageRow
	Accounting            []accountingRow
	AccountingHeads       []string
	Metrics               []metricRow
	TopFunctions          []result.FunctionCost
	Profiles              []result.Profile
	Errors                []string
}

type chartRef struct{ ID, Title, Note string }

type repeatOption struct {
	Index  int // position in the case's repeats in pageData
	Repeat int
}

type stageRow struct {
	Stage, Help   string
	P50, P95, P99 string
	W50, W95, W99 float64 // bar widths, percent of the largest p99
}

type accountingRow struct {
	Name   string
	Values []string
	Bad    bool
}

type metricRow struct{ Key, Median, Min, Max, N, Help string }

func writeHTML(w io.Writer, s *result.Scenario) error {
	p := buildPage(s)
	if err := pageTmpl.Execute(w, p); err != nil {
		return fmt.Errorf("rendering report.html: %w", err)
	}
	return nil
}

func verdictClass(v result.Outcome) string {
	switch v {
	case result.VerdictPass:
		return "good"
	case result.VerdictFail, result.VerdictRegression:
		return "bad"
	}
	return "warn"
}

func buildPage(s *result.Scenario) page {
	p := page{
		Name:         s.Name,
		Description:  s.Description,
		File:         s.File,
		Hash:         s.Hash,
		Verdict:      verdictOrUnknown(s.Verdict),
		VerdictClass: verdictClass(s.Verdict),
		Error:        s.Error,
		UPlotJS:      template.JS(uPlotJS),
		PageJS:       template.JS(pageJS),
		UPlotCSS:     template.CSS(uPlotCSS),
		PageCSS:      template.CSS(pageCSS),
	}
	if !s.Started.IsZero() {
		p.Started = s.Started.UTC().Format(time.RFC3339)
	}
	keys := make([]string, 0, len(s.Environment))
	for k := range s.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.Environment = append(p.Environment, keyValue{Key: k, Value: s.Environment[k]})
	}

	passed := 0
	for _, t := range s.Thresholds {
		row := thresholdRow{Expr: t.Expr, Case: t.Case, Observed: t.Display, Source: t.Source}
		switch {
		case t.Error != "":
			row.Outcome, row.Class = "not judged: "+t.Error, "warn"
		case t.Pass:
			row.Outcome, row.Class = "pass", "good"
			passed++
		case t.Info:
			row.Outcome, row.Class = "outside the bound, reported only (timing not representative here)", "warn"
		default:
			row.Outcome, row.Class = "fail", "bad"
		}
		p.Thresholds = append(p.Thresholds, row)
	}
	p.Baseline = baselineViewOf(s.Baseline)

	var runs, lost, duplicates int
	var windows []float64
	backends := map[string]bool{}
	for _, c := range s.Cases {
		runs += len(c.Runs)
		t := caseTotals(c)
		lost += t.Lost
		duplicates += t.Duplicates
		for _, r := range c.Runs {
			windows = append(windows, r.Duration)
			if r.Backend != "" {
				backends[r.Backend] = true
			}
		}
	}
	p.Summary = []keyValue{{Key: "verdict", Value: p.Verdict, Class: p.VerdictClass}}
	if len(s.Thresholds) > 0 {
		cls := "good"
		if passed < len(s.Thresholds) {
			cls = "bad"
		}
		p.Summary = append(p.Summary, keyValue{Key: "thresholds", Value: fmt.Sprintf("%d / %d passed", passed, len(s.Thresholds)), Class: cls})
	}
	if p.Baseline != nil && p.Baseline.Found {
		regressions := 0
		for _, r := range p.Baseline.Rows {
			if r.Verdict == "regression" {
				regressions++
			}
		}
		cls := "good"
		if regressions > 0 {
			cls = "bad"
		}
		p.Summary = append(p.Summary, keyValue{Key: "regressions", Value: fmt.Sprint(regressions), Class: cls})
	}
	lostClass := "good"
	if lost > 0 {
		lostClass = "bad"
	}
	p.Summary = append(p.Summary,
		keyValue{Key: "lost messages", Value: fmt.Sprint(lost), Class: lostClass},
		keyValue{Key: "duplicates", Value: fmt.Sprint(duplicates)},
		keyValue{Key: "runs", Value: fmt.Sprintf("%d in %d case(s)", runs, len(s.Cases))},
	)
	// Run.Duration is the measured window of one repeat: from the first
	// message of the load until every message was accounted for. It
	// leaves out backend start, warm-up and shutdown, so it is much
	// shorter than the wall time of a repeat, and it is what the charts'
	// time axis and the rates cover: say so rather than call it run time.
	if m, ok := sample.Median(windows); ok {
		v := formatValue(metric.Duration, m)
		if len(windows) > 1 {
			lo, hi := minMax(windows)
			v = fmt.Sprintf("%s median (%s to %s)", v, formatValue(metric.Duration, lo), formatValue(metric.Duration, hi))
		}
		p.Summary = append(p.Summary, keyValue{Key: "measured window per repeat", Value: v,
			Title: "from the first message sent until every message was accounted for; backend start, warm-up and shutdown are not in it"})
	}
	var starts []float64
	for _, c := range s.Cases {
		starts = append(starts, c.Samples(metric.BackendStart)...)
	}
	if m, ok := sample.Median(starts); ok {
		p.Summary = append(p.Summary, keyValue{Key: "backend start", Value: formatValue(metric.Duration, m)})
	}
	if len(backends) > 0 {
		names := make([]string, 0, len(backends))
		for b := range backends {
			names = append(names, b)
		}
		sort.Strings(names)
		p.Summary = append(p.Summary, keyValue{Key: "backend", Value: strings.Join(names, ", ")})
	}

	p.Findings = findingViews(s)

	p.Data.Cases = []caseCharts{}
	for ci, c := range s.Cases {
		cv := caseViewOf(c)
		cv.ID = fmt.Sprintf("case%d", ci)
		cc := caseCharts{ID: cv.ID, Repeats: []repeatCharts{}}
		slots := map[string]int{}
		var order []chart // first chart seen per slot, for its place and title
		for ri, r := range c.Runs {
			charts := buildCharts(cv.ID, r)
			cc.Repeats = append(cc.Repeats, repeatCharts{Repeat: r.Repeat, Charts: charts})
			cv.Repeats = append(cv.Repeats, repeatOption{Index: ri, Repeat: r.Repeat})
			for _, ch := range charts {
				if _, ok := slots[ch.ID]; !ok {
					slots[ch.ID] = len(order)
					order = append(order, ch)
				}
			}
		}
		for _, ch := range order {
			cv.ChartIDs = append(cv.ChartIDs, chartRef{ID: ch.ID, Title: ch.Title, Note: ch.Note})
		}
		if len(c.Runs) > 1 {
			cv.RunNote = fmt.Sprintf("%d repeats: choose which one the charts show. The tables below cover all of them.", len(c.Runs))
		}
		p.Data.Cases = append(p.Data.Cases, cc)
		p.Cases = append(p.Cases, cv)
	}
	return p
}

// findingViews gives each case one primary diagnosis: a regression's
// likely cause first (that is why a reader opened the page), else the
// category most repeats named, with the other repeats' readings as one
// line each rather than as findings of equal weight.
func findingViews(s *result.Scenario) []findingView {
	var out []findingView
	for _, f := range regressionFindings(s) {
		out = append(out, findingView{Case: f.caseName, Category: f.finding.Category, Summary: f.finding.Summary,
			Evidence: f.finding.Evidence, Advice: f.finding.Advice, Class: "bad"})
	}
	for _, g := range primaryFindings(s) {
		cls := "warn"
		if g.primary.finding.Category == diagnose.None {
			cls = "good"
		}
		v := findingView{
			Case: g.primary.caseName, Category: categoryLabel(g.primary.finding.Category), Summary: g.primary.finding.Summary,
			Runs:     fmt.Sprintf("in %d of %d runs", g.primary.runs, g.primary.of),
			Evidence: g.primary.finding.Evidence, Advice: g.primary.finding.Advice, Class: cls,
		}
		for _, o := range g.others {
			v.Others = append(v.Others, fmt.Sprintf("%s in %d of %d runs: %s", categoryLabel(o.finding.Category), o.runs, o.of, o.finding.Summary))
		}
		out = append(out, v)
	}
	return out
}

func baselineViewOf(b *result.BaselineReport) *baselineView {
	if b == nil {
		return nil
	}
	v := &baselineView{File: b.File, Found: b.Found, Warnings: b.Warnings, Machine: "same kind of machine"}
	if !b.SameMachine {
		v.Machine = "another kind of machine: time-based metrics are information only"
	}
	for _, c := range b.Comparisons {
		if c.Verdict == "unchanged" {
			v.Unchanged++
		}
		cls := ""
		switch c.Verdict {
		case "regression":
			cls = "bad"
		case "improvement":
			cls = "good"
		case "warning":
			cls = "warn"
		}
		v.Rows = append(v.Rows, comparisonRow{
			Case: c.Case, Metric: c.Metric,
			Baseline: formatKey(c.Metric, c.Baseline), Current: formatKey(c.Metric, c.Current),
			Change: formatChange(c.Change), P: formatP(c.P), Tolerance: formatValue(metric.Ratio, c.Tolerance),
			Verdict: string(c.Verdict), Class: cls, Note: c.Note,
		})
	}
	v.Strips = stripsOf(b.Comparisons)
	// Regressions first: that is what a reader opened the page for.
	rank := map[string]int{"regression": 0, "warning": 1, "improvement": 2, "info": 3, "unchanged": 4}
	sort.SliceStable(v.Rows, func(i, j int) bool { return rank[v.Rows[i].Verdict] < rank[v.Rows[j].Verdict] })
	return v
}

var stageNames = []string{metric.StageQueueWait, metric.StageDispatchWait, metric.StageProcess, metric.StageAck,
	metric.ServerQueueWait, metric.ServerTimeInService}

// stageLabel is a stage's row label: the service's stages by name, the
// SQS server's (measured for any consumer) marked as such.
func stageLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "server."); ok {
		return strings.ReplaceAll(rest, "_", " ") + " (SQS server)"
	}
	return strings.TrimPrefix(name, "stage.")
}

// eventCounted reports whether a run has the service's per-task
// accounting (its events): an external consumer's run has only the SQS
// server's, and zeros there would read as "nothing processed".
func eventCounted(r result.Run) bool {
	_, ok := r.Metrics[metric.Processed]
	return ok
}

func caseViewOf(c result.Case) caseView {
	cv := caseView{Name: c.Name}
	if len(c.Params) > 0 {
		keys := make([]string, 0, len(c.Params))
		for k := range c.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + c.Params[k]
		}
		cv.Params = strings.Join(parts, ", ")
	}

	// Stage latencies: the median over repeats of each statistic.
	var rows []stageRow
	var raw [][3]float64
	maxP99 := 0.0
	for _, st := range stageNames {
		var vals [3]float64
		found := false
		for i, stat := range []string{"p50", "p95", "p99"} {
			if m, ok := sample.Median(c.Samples(metric.Key(st, stat))); ok {
				vals[i], found = m, true
			}
		}
		if !found {
			continue
		}
		help := ""
		if d, ok := metric.Lookup(st); ok {
			help = d.Help
		}
		rows = append(rows, stageRow{Stage: stageLabel(st), Help: help,
			P50: formatValue(metric.Duration, vals[0]), P95: formatValue(metric.Duration, vals[1]), P99: formatValue(metric.Duration, vals[2])})
		raw = append(raw, vals)
		maxP99 = math.Max(maxP99, math.Max(vals[2], math.Max(vals[1], vals[0])))
	}
	for i := range rows {
		if maxP99 > 0 {
			rows[i].W50 = 100 * raw[i][0] / maxP99
			rows[i].W95 = 100 * raw[i][1] / maxP99
			rows[i].W99 = 100 * raw[i][2] / maxP99
		}
	}
	cv.Stages = rows

	// Accounting: one column per repeat.
	for _, r := range c.Runs {
		cv.AccountingHeads = append(cv.AccountingHeads, fmt.Sprintf("repeat %d", r.Repeat))
	}
	for _, f := range []struct {
		name  string
		get   func(result.Accounting) int
		bad   bool
		event bool // from the service's events only
	}{
		{"jobs sent", func(a result.Accounting) int { return a.JobsSent }, false, false},
		{"tasks sent", func(a result.Accounting) int { return a.Sent }, false, false},
		{"processed", func(a result.Accounting) int { return a.Processed }, false, true},
		{"retried", func(a result.Accounting) int { return a.Retried }, false, true},
		{"overflowed", func(a result.Accounting) int { return a.Overflowed }, false, true},
		{"dead-lettered", func(a result.Accounting) int { return a.DeadLettered }, false, true},
		{"invalid", func(a result.Accounting) int { return a.Invalid }, false, true},
		{"failures", func(a result.Accounting) int { return a.Failures }, false, true},
		{"crashes", func(a result.Accounting) int { return a.Crashes }, false, true},
		{"duplicates", func(a result.Accounting) int { return a.Duplicates }, false, true},
		{"lost", func(a result.Accounting) int { return a.Lost }, true, false},
	} {
		row := accountingRow{Name: f.name}
		for _, r := range c.Runs {
			if f.event && !eventCounted(r) {
				row.Values = append(row.Values, "—")
				continue
			}
			n := f.get(r.Accounting)
			row.Values = append(row.Values, fmt.Sprint(n))
			if f.bad && n > 0 {
				row.Bad = true
			}
		}
		cv.Accounting = append(cv.Accounting, row)
	}
	// The SQS server's view (messages, any consumer), where it was kept.
	if slices.ContainsFunc(c.Runs, func(r result.Run) bool { return r.Server != nil }) {
		for _, f := range []struct {
			name string
			get  func(*result.ServerAccounting) int
			bad  bool
		}{
			{"SQS messages sent", func(a *result.ServerAccounting) int { return a.Sent }, false},
			{"… processed (deleted)", func(a *result.ServerAccounting) int { return a.Processed }, false},
			{"… dead-lettered", func(a *result.ServerAccounting) int { return a.DeadLettered }, false},
			{"… in flight at the end", func(a *result.ServerAccounting) int { return a.InFlight }, true},
			{"… waiting at the end", func(a *result.ServerAccounting) int { return a.Waiting }, false},
			{"… lost", func(a *result.ServerAccounting) int { return a.Lost }, true},
			{"… redeliveries", func(a *result.ServerAccounting) int { return a.Redeliveries }, false},
		} {
			row := accountingRow{Name: f.name}
			for _, r := range c.Runs {
				if r.Server == nil {
					row.Values = append(row.Values, "—")
					continue
				}
				n := f.get(r.Server)
				row.Values = append(row.Values, fmt.Sprint(n))
				if f.bad && n > 0 {
					row.Bad = true
				}
			}
			cv.Accounting = append(cv.Accounting, row)
		}
	}
	for _, r := range c.Runs {
		if len(r.Accounting.LostIDs) > 0 {
			cv.Errors = append(cv.Errors, fmt.Sprintf("repeat %d lost task ids: %s", r.Repeat, strings.Join(r.Accounting.LostIDs, ", ")))
		}
	}

	// Every metric: median, min and max over repeats.
	keys := map[string]bool{}
	for _, r := range c.Runs {
		for k := range r.Metrics {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		samples := c.Samples(k)
		m, _ := sample.Median(samples)
		lo, hi := minMax(samples)
		help := ""
		if d, _, ok := metric.Resolve(k); ok {
			help = d.Help
		}
		cv.Metrics = append(cv.Metrics, metricRow{Key: k, Median: formatKey(k, m), Min: formatKey(k, lo), Max: formatKey(k, hi), N: fmt.Sprint(len(samples)), Help: help})
	}

	for _, r := range c.Runs {
		// One profile's top list is enough to point at the hot code.
		if len(cv.TopFunctions) == 0 {
			cv.TopFunctions = r.TopFunctions
		}
		cv.Profiles = append(cv.Profiles, r.Profiles...)
		for _, e := range r.Errors {
			cv.Errors = append(cv.Errors, fmt.Sprintf("repeat %d: %s", r.Repeat, e))
		}
		for _, w := range r.Warnings {
			cv.Errors = append(cv.Errors, fmt.Sprintf("repeat %d (warning): %s", r.Repeat, w))
		}
	}
	return cv
}

func minMax(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs[1:] {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
