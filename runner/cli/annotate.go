package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// annotate writes a GitHub Actions error annotation for every threshold
// that failed and every metric that regressed, so a pull request shows
// them on the scenario file's lines rather than only in the log
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
// A threshold is placed on its own line; a regression on the line of a
// threshold about the same metric if there is one, else on the file.
func annotate(w io.Writer, sc *scenario.Scenario, res *result.Scenario) {
	for _, t := range res.Thresholds {
		if t.Pass || t.Info {
			continue
		}
		where := ""
		if t.Case != "" && t.Case != res.Name {
			where = " [" + t.Case + "]"
		}
		detail := "observed " + t.Display
		if t.Error != "" {
			detail = t.Error
		}
		workflowError(w, sc.File, thresholdLine(sc, t.Expr, ""),
			"threshold failed: "+res.Name,
			fmt.Sprintf("%s%s: %s", t.Expr, where, detail))
	}
	if res.Baseline == nil {
		return
	}
	for _, c := range res.Baseline.Comparisons {
		if c.Verdict != "regression" {
			continue
		}
		workflowError(w, sc.File, thresholdLine(sc, "", c.Metric),
			"regression: "+res.Name,
			fmt.Sprintf("%s [%s] %+.1f%% against the baseline (median %g -> %g, p=%.3g, tolerance %.0f%%)",
				c.Metric, c.Case, c.Change*100, c.Baseline, c.Current, c.P, c.Tolerance*100))
	}
}

// thresholdLine finds the scenario line of the threshold written as expr,
// or else of the first threshold that names metric; 0 when none does.
func thresholdLine(sc *scenario.Scenario, expr, metric string) int {
	for _, th := range sc.Thresholds {
		if expr != "" && th.Expr == expr {
			return th.Line
		}
	}
	if metric == "" {
		return 0
	}
	// A regression is reported per statistic (stage.process.p99); a
	// threshold names the distribution (p99(stage.process)).
	for _, name := range []string{metric, metricBase(metric)} {
		for _, th := range sc.Thresholds {
			if strings.Contains(th.Expr, name) {
				return th.Line
			}
		}
	}
	return 0
}

// metricBase strips a statistic suffix: stage.process.p99 is about
// stage.process; cpu.per_message stays itself.
func metricBase(metric string) string {
	i := strings.LastIndex(metric, ".")
	if i <= 0 {
		return metric
	}
	switch metric[i+1:] {
	case "p50", "p90", "p95", "p99", "max", "mean":
		return metric[:i]
	}
	return metric
}

// workflowError writes one ::error command, escaped as the runner expects:
// %, CR and LF in the message; also : and , in properties.
func workflowError(w io.Writer, file string, line int, title, msg string) {
	props := "file=" + escapeProperty(file)
	if line > 0 {
		props += fmt.Sprintf(",line=%d", line)
	}
	props += ",title=" + escapeProperty(title)
	fmt.Fprintf(w, "::error %s::%s\n", props, escapeData(msg))
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
