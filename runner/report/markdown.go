package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/sqsperf/sqsperf/runner/diagnose"
	"github.com/sqsperf/sqsperf/runner/result"
)

type markdownOptions struct {
	// artifactPath, when set, is the report directory's path inside the
	// uploaded artifact (the output root is what CI uploads), named in
	// place of relative links: the step summary is not next to the
	// files, the artifact is. reportDir is where they were written.
	artifactPath, reportDir string
}

func writeMarkdown(w io.Writer, s *result.Scenario) error {
	return renderMarkdown(w, s, markdownOptions{})
}

func verdictMark(v result.Outcome) string {
	switch v {
	case result.VerdictPass:
		return "✅"
	case result.VerdictFail, result.VerdictRegression:
		return "❌"
	}
	return "⚠️"
}

func renderMarkdown(w io.Writer, s *result.Scenario, opt markdownOptions) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p("### %s %s: %s\n\n", verdictMark(s.Verdict), mdText(s.Name), mdText(verdictOrUnknown(s.Verdict)))
	if s.Description != "" {
		p("%s\n\n", mdText(firstLine(s.Description)))
	}
	if s.Error != "" {
		p("**Error:** %s\n\n", mdText(s.Error))
	}

	if len(s.Thresholds) > 0 {
		passed := 0
		for _, t := range s.Thresholds {
			if t.Pass && t.Error == "" {
				passed++
			}
		}
		p("**Thresholds:** %d of %d passed\n\n", passed, len(s.Thresholds))
		p("| threshold | case | observed | result |\n|---|---|---|---|\n")
		for _, t := range s.Thresholds {
			p("| %s | %s | %s | %s |\n", mdCode(t.Expr), mdText(orDash(t.Case)), mdText(orDash(t.Display)), thresholdOutcome(t))
		}
		p("\n")
	}

	writeBaselineMarkdown(p, s.Baseline)
	writeDiagnosisMarkdown(p, s)
	writeAccountingMarkdown(p, s)

	if opt.artifactPath != "" {
		// A step summary is a page of its own on GitHub: a relative link
		// there resolves against github.com and leads nowhere. The files
		// are in the job's uploaded artifact; name where.
		p("Charts and details: %s in this job's uploaded reports artifact (the run's Summary page, Artifacts), written to %s on the runner\n",
			mdCode(opt.artifactPath+"/"+HTMLFile), mdCode(opt.reportDir+"/"))
	} else {
		p("[%s](%s) · [%s](%s) · [%s](%s)\n", HTMLFile, HTMLFile, JSONFile, JSONFile, JUnitFile, JUnitFile)
	}
	return bw.Flush()
}

func verdictOrUnknown(v result.Outcome) string {
	if v == "" {
		return "unknown"
	}
	return string(v)
}

func thresholdOutcome(t result.ThresholdResult) string {
	switch {
	case t.Error != "":
		return "⚠️ not judged: " + mdText(t.Error)
	case t.Pass:
		return "✅ pass"
	case t.Info:
		return "ℹ️ outside the bound, reported only (timing not representative here)"
	}
	return "❌ **fail**"
}

// moved reports whether a comparison belongs in the short list of metrics
// that changed: every verdict but "unchanged", and information-only
// metrics only when the change is both large and significant.
func moved(c result.Comparison) bool {
	switch c.Verdict {
	case "regression", "improvement", "warning":
		return true
	case "info":
		return math.Abs(c.Change) >= c.Tolerance && c.P < 0.05
	}
	return false
}

func comparisonMark(v result.Outcome) string {
	switch v {
	case "regression":
		return "❌ regression"
	case "improvement":
		return "✅ improvement"
	case "warning":
		return "⚠️ warning"
	}
	return string(v)
}

func writeBaselineMarkdown(p func(string, ...any), b *result.BaselineReport) {
	if b == nil {
		return
	}
	if !b.Found {
		p("**Baseline:** none found at %s.\n", mdCode(b.File))
		for _, w := range b.Warnings {
			p("- %s\n", mdText(w))
		}
		p("\n")
		return
	}
	var rows []result.Comparison
	for _, c := range b.Comparisons {
		if moved(c) {
			rows = append(rows, c)
		}
	}
	machine := "same machine"
	if !b.SameMachine {
		machine = "another kind of machine: time-based metrics are information only"
	}
	p("**Baseline** %s (%s): %d of %d metrics moved\n\n", mdCode(b.File), machine, len(rows), len(b.Comparisons))
	if len(rows) > 0 {
		p("| case | metric | baseline | current | change | p | verdict |\n|---|---|---:|---:|---:|---:|---|\n")
		for _, c := range rows {
			p("| %s | %s | %s | %s | %s | %s | %s |\n", mdText(orDash(c.Case)), mdCode(c.Metric),
				formatKey(c.Metric, c.Baseline), formatKey(c.Metric, c.Current), formatChange(c.Change),
				formatP(c.P), comparisonMark(c.Verdict)+noteSuffix(c.Note))
		}
		p("\n")
	}
	for _, w := range b.Warnings {
		p("- ⚠️ %s\n", mdText(w))
	}
	if len(b.Warnings) > 0 {
		p("\n")
	}
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + mdText(note) + ")"
}

// findingGroup is one diagnosis finding as it recurs over a case's runs.
type findingGroup struct {
	caseName string
	finding  result.Finding
	runs     int
	of       int
}

// groupFindings folds identical categories over the repeats of each case:
// five repeats saying "backpressure" read better as one line "in 5 of 5 runs".
func groupFindings(s *result.Scenario) []findingGroup {
	var out []findingGroup
	for _, c := range s.Cases {
		index := map[string]int{}
		for _, r := range c.Runs {
			for _, f := range r.Diagnosis {
				if i, ok := index[f.Category]; ok {
					out[i].runs++
					continue
				}
				index[f.Category] = len(out)
				out = append(out, findingGroup{caseName: c.Name, finding: f, runs: 1, of: len(c.Runs)})
			}
		}
	}
	return out
}

// casePrimary is a case's primary finding (the category most of its
// repeats named; the first named on a tie) and what other repeats named.
type casePrimary struct {
	primary findingGroup
	others  []findingGroup
}

// primaryFindings gives one primary finding per case. Diagnose already
// gives one per run; repeats of a busy machine can still disagree, and
// the majority reading is the one to act on.
func primaryFindings(s *result.Scenario) []casePrimary {
	groups := groupFindings(s)
	var out []casePrimary
	for i := 0; i < len(groups); {
		j := i
		for j < len(groups) && groups[j].caseName == groups[i].caseName {
			j++
		}
		best := i
		for k := i + 1; k < j; k++ {
			if groups[k].runs > groups[best].runs {
				best = k
			}
		}
		cp := casePrimary{primary: groups[best]}
		for k := i; k < j; k++ {
			if k != best {
				cp.others = append(cp.others, groups[k])
			}
		}
		out = append(out, cp)
		i = j
	}
	return out
}

// categoryLabel is how a finding's category reads: the "none" of the
// data model is a healthy run.
func categoryLabel(category string) string {
	if category == diagnose.None {
		return "healthy"
	}
	return category
}

type caseFinding struct {
	caseName string
	finding  result.Finding
}

// regressionFindings explains each regressed metric, pointing at the
// profile comparison that shows its cause; the advice knows which
// profiles the case's runs took, and an A/B's allocation profile diff.
func regressionFindings(s *result.Scenario) []caseFinding {
	if s.Baseline == nil {
		return nil
	}
	profiles := map[string][]string{}
	for _, c := range s.Cases {
		seen := map[string]bool{}
		for _, r := range c.Runs {
			for _, p := range r.Profiles {
				if !seen[p.Kind] {
					seen[p.Kind] = true
					profiles[c.Name] = append(profiles[c.Name], p.Kind)
				}
			}
		}
	}
	diffs := map[string]*result.AllocDiff{}
	for i, d := range s.Baseline.AllocDiffs {
		diffs[d.Case] = &s.Baseline.AllocDiffs[i]
	}
	var out []caseFinding
	for _, cmp := range s.Baseline.Comparisons {
		if f, ok := diagnose.Regression(cmp, diagnose.Context{Profiles: profiles[cmp.Case], AllocDiff: diffs[cmp.Case]}); ok {
			out = append(out, caseFinding{caseName: cmp.Case, finding: f})
		}
	}
	return out
}

func writeDiagnosisMarkdown(p func(string, ...any), s *result.Scenario) {
	regressions := regressionFindings(s)
	primaries := primaryFindings(s)
	if len(regressions)+len(primaries) == 0 {
		return
	}
	p("**Diagnosis**\n\n")
	for _, r := range regressions {
		p("- %s %s: %s\n", mdText(orDash(r.caseName)), mdCode(r.finding.Category), mdText(r.finding.Summary))
		for _, e := range r.finding.Evidence {
			p("  - %s\n", mdText(e))
		}
		for _, a := range r.finding.Advice {
			p("  - try: %s\n", mdText(a))
		}
	}
	for _, cp := range primaries {
		g := cp.primary
		p("- %s %s: %s (in %d of %d runs)\n", mdText(g.caseName), mdCode(categoryLabel(g.finding.Category)), mdText(g.finding.Summary), g.runs, g.of)
		for _, e := range g.finding.Evidence {
			p("  - %s\n", mdText(e))
		}
		for _, a := range g.finding.Advice {
			p("  - try: %s\n", mdText(a))
		}
		for _, o := range cp.others {
			p("  - other repeats: %s in %d of %d runs\n", mdCode(categoryLabel(o.finding.Category)), o.runs, o.of)
		}
	}
	p("\n")
}

// caseTotals sums the accounting over a case's repeats: a message lost
// in any repeat is a lost message.
func caseTotals(c result.Case) result.Accounting {
	var t result.Accounting
	for _, r := range c.Runs {
		a := r.Accounting
		t.JobsSent += a.JobsSent
		t.Sent += a.Sent
		t.Processed += a.Processed
		t.Retried += a.Retried
		t.Overflowed += a.Overflowed
		t.DeadLettered += a.DeadLettered
		t.Invalid += a.Invalid
		t.Failures += a.Failures
		t.Crashes += a.Crashes
		t.Duplicates += a.Duplicates
		t.Lost += a.Lost
	}
	return t
}

func writeAccountingMarkdown(p func(string, ...any), s *result.Scenario) {
	if len(s.Cases) == 0 {
		return
	}
	p("**Accounting** (summed over repeats)\n\n")
	p("| case | runs | sent | processed | retried | overflowed | dead-lettered | duplicates | lost |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range s.Cases {
		t := caseTotals(c)
		lost := fmt.Sprint(t.Lost)
		if t.Lost > 0 {
			lost = "**" + lost + "** ❌"
		}
		// An external consumer has no per-task events: its counts are the
		// SQS server's (below), not zeros here.
		event := func(n int) string { return fmt.Sprint(n) }
		if !slices.ContainsFunc(c.Runs, eventCounted) {
			event = func(int) string { return "—" }
		}
		p("| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", mdText(c.Name), len(c.Runs), t.Sent, event(t.Processed), event(t.Retried),
			event(t.Overflowed), event(t.DeadLettered), event(t.Duplicates), lost)
	}
	p("\n")
	if !slices.ContainsFunc(s.Cases, func(c result.Case) bool {
		return slices.ContainsFunc(c.Runs, func(r result.Run) bool { return r.Server != nil })
	}) {
		return
	}
	p("**The SQS server's view** (messages on every queue, summed over repeats)\n\n")
	p("| case | sent | processed | dead-lettered | in flight at the end | waiting | lost | redeliveries |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	var notes []string
	for _, c := range s.Cases {
		var t result.ServerAccounting
		var ids []result.LostMessage
		for _, r := range c.Runs {
			if a := r.Server; a != nil {
				t.Sent += a.Sent
				t.Processed += a.Processed
				t.DeadLettered += a.DeadLettered
				t.InFlight += a.InFlight
				t.Waiting += a.Waiting
				t.Lost += a.Lost
				t.Redeliveries += a.Redeliveries
				ids = append(append(ids, a.LostIDs...), a.InFlightIDs...)
			}
		}
		bad := func(n int) string {
			if n > 0 {
				return fmt.Sprintf("**%d** ❌", n)
			}
			return "0"
		}
		p("| %s | %d | %d | %d | %s | %d | %s | %d |\n", mdText(c.Name), t.Sent, t.Processed, t.DeadLettered, bad(t.InFlight), t.Waiting, bad(t.Lost), t.Redeliveries)
		if len(ids) > 0 {
			notes = append(notes, fmt.Sprintf("- %s: lost or held: %s\n", mdText(c.Name), mdCode(firstMessageIDs(ids))))
		}
	}
	p("\n")
	for _, n := range notes {
		p("%s", n)
	}
	if len(notes) > 0 {
		p("\n")
	}
}

// firstMessageIDs names up to ten messages, pointing to result.json
// for the rest.
func firstMessageIDs(ms []result.LostMessage) string {
	const show = 10
	var parts []string
	for i, m := range ms {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more in result.json", len(ms)-show))
			break
		}
		parts = append(parts, m.ID)
	}
	return strings.Join(parts, ", ")
}

func writeSuiteMarkdown(w io.Writer, all []*result.Scenario) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	counts := map[string]int{}
	for _, s := range all {
		counts[verdictOrUnknown(s.Verdict)]++
	}
	var parts []string
	for v, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, v))
	}
	sort.Strings(parts)
	p("## sqsperf: %d scenarios (%s)\n\n", len(all), strings.Join(parts, ", "))
	p("| scenario | verdict | thresholds | regressions | lost | diagnosis | report |\n|---|---|---:|---:|---:|---|---|\n")
	for _, s := range all {
		passed := 0
		for _, t := range s.Thresholds {
			if t.Pass && t.Error == "" {
				passed++
			}
		}
		regressions := 0
		if s.Baseline != nil {
			for _, c := range s.Baseline.Comparisons {
				if c.Verdict == "regression" {
					regressions++
				}
			}
		}
		lost := 0
		for _, c := range s.Cases {
			lost += caseTotals(c).Lost
		}
		var cats []string
		seen := map[string]bool{}
		for _, g := range primaryFindings(s) {
			if label := categoryLabel(g.primary.finding.Category); !seen[label] {
				seen[label] = true
				cats = append(cats, label)
			}
		}
		safe := SafeName(s.Name)
		p("| %s | %s %s | %d/%d | %d | %d | %s | [%s](%s/%s) |\n", mdText(s.Name), verdictMark(s.Verdict),
			mdText(verdictOrUnknown(s.Verdict)), passed, len(s.Thresholds), regressions, lost,
			mdText(orDash(strings.Join(cats, ", "))), HTMLFile, safe, HTMLFile)
	}
	p("\n")
	// The PR comment says why a scenario regressed, not only that it did:
	// each regressed metric with its evidence (for allocations, the
	// functions that grew most in the A/B's profiles). Advice and the
	// profile commands stay in the scenario's own summary.md.
	for _, s := range all {
		for _, r := range regressionFindings(s) {
			p("- %s %s: %s\n", mdText(orDash(r.caseName)), mdCode(r.finding.Category), mdText(r.finding.Summary))
			for _, e := range r.finding.Evidence {
				p("  - %s\n", mdText(e))
			}
		}
	}
	for _, s := range all {
		if s.Error != "" {
			p("- %s: %s\n", mdText(s.Name), mdText(s.Error))
		}
	}
	return bw.Flush()
}

// mdText makes s safe inside a Markdown table cell: one line, no pipes,
// and no characters that would start HTML or a link.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "'", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

// mdCode renders s as inline code; pipes still need escaping in tables.
func mdCode(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "`", "'")
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CaseDiagnosis is a case's primary diagnosis as every report names it:
// the category most of its repeats gave ("healthy" for none), with the
// other repeats' readings.
type CaseDiagnosis struct {
	Case     string
	Category string // "healthy" for a run without a bottleneck
	Summary  string
	Runs, Of int      // the primary reading was given by Runs of the Of repeats
	Others   []string // "gc in 1 of 6", one per other category
}

// PrimaryDiagnoses gives one CaseDiagnosis per case that has any, in
// case order, chosen as in report.html and summary.md so that the
// verdict on stdout never names another cause than the reports.
func PrimaryDiagnoses(s *result.Scenario) []CaseDiagnosis {
	var out []CaseDiagnosis
	for _, cp := range primaryFindings(s) {
		g := cp.primary
		d := CaseDiagnosis{Case: g.caseName, Category: categoryLabel(g.finding.Category), Summary: g.finding.Summary, Runs: g.runs, Of: g.of}
		for _, o := range cp.others {
			d.Others = append(d.Others, fmt.Sprintf("%s in %d of %d", categoryLabel(o.finding.Category), o.runs, o.of))
		}
		out = append(out, d)
	}
	return out
}
