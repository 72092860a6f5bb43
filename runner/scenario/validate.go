package scenario

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sqsperf/sqsperf/runner/internal/suggest"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/threshold"
)

// Validate checks ranges, enums, patterns and the rules that tie fields
// together, for the scenario and for each case of its matrix. It is
// called by Load and Parse; call it again after changing a Scenario in
// code. A non-nil error is an ErrorList.
func (s *Scenario) Validate() error {
	return s.validate().dedupe().errOrNil()
}

type checker struct {
	s    *Scenario
	errs ErrorList
}

// add records a problem at the position recorded for path (or the
// file as a whole when the value came from a default).
func (c *checker) add(path, format string, args ...any) {
	e := &Error{File: c.s.File, Field: path, Msg: fmt.Sprintf(format, args...)}
	if p, ok := c.s.positions[path]; ok {
		e.Line, e.Column = p.line, p.column
	}
	c.errs = append(c.errs, e)
}

func (s *Scenario) validate() ErrorList {
	c := &checker{s: s}
	c.leaves(rootFields)
	c.crossField()
	c.command()
	c.thresholds()
	c.baseline()
	c.cases()
	return c.errs
}

func (c *checker) leaves(fs []*field) {
	for _, f := range fs {
		switch {
		case f.kind == kObject:
			c.leaves(f.children)
		case f.ref == nil:
		case f.kind == kString:
			c.text(f, *f.ref(c.s).(*string))
		case f.kind == kDist:
			c.dist(f, *f.ref(c.s).(*Dist))
		case f.kind == kBool:
		default:
			c.number(f, numericValue(f, c.s))
		}
	}
}

func numericValue(f *field, s *Scenario) float64 {
	switch p := f.ref(s).(type) {
	case *int:
		return float64(*p)
	case *int64:
		return float64(*p)
	case *float64:
		return *p
	case *time.Duration:
		return float64(*p)
	}
	return 0
}

func (c *checker) number(f *field, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.add(f.path, "must be a finite number")
		return
	}
	if f.bounded && (v < f.lo || v > f.hi) {
		c.add(f.path, "must be between %s and %s, got %s", formatBound(f, f.lo), formatBound(f, f.hi), formatBound(f, v))
		return
	}
	if f.wholeSeconds && math.Mod(v, second) != 0 {
		c.add(f.path, "must be whole seconds (SQS takes seconds), got %s", formatBound(f, v))
	}
}

func (c *checker) text(f *field, v string) {
	if v == "" && f.def == "" && f.path != "name" {
		return // optional text left empty
	}
	switch {
	case len(f.enum) > 0:
		for _, e := range f.enum {
			if v == e {
				return
			}
		}
		msg := fmt.Sprintf("%q is not allowed: use one of %s", v, strings.Join(f.enum, ", "))
		if sug := suggest.Closest(v, f.enum); sug != "" {
			msg = fmt.Sprintf("%q is not allowed: did you mean %s? (one of %s)", v, sug, strings.Join(f.enum, ", "))
		}
		c.add(f.path, "%s", msg)
	case f.pattern != nil && !f.pattern.MatchString(v):
		if f.path == "name" {
			if _, written := c.s.positions["name"]; !written {
				c.add(f.path, "the file name %q is not a valid scenario name (%s): set name: in the file", v, f.patternHelp)
				return
			}
		}
		c.add(f.path, "%q is not allowed: write %s", truncate(v, 60), f.patternHelp)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (c *checker) dist(f *field, d Dist) {
	check := func(name string, v time.Duration) bool {
		if f.bounded && (float64(v) < f.lo || float64(v) > f.hi) {
			c.add(f.path, "%s must be between %s and %s, got %s", name, formatBound(f, f.lo), formatBound(f, f.hi), formatBound(f, float64(v)))
			return false
		}
		return true
	}
	switch d.Kind {
	case DistConstant:
		check("the duration", d.Value)
	case DistUniform:
		if check("min", d.Min) && check("max", d.Max) && d.Min > d.Max {
			c.add(f.path, "uniform min (%s) is above max (%s)", d.Min, d.Max)
		}
	case DistLognormal:
		if !check("median", d.Median) || !check("p99", d.P99) {
			return
		}
		if d.Median <= 0 {
			c.add(f.path, "lognormal median must be above 0, got %s", d.Median)
		} else if d.P99 < d.Median {
			c.add(f.path, "lognormal p99 (%s) is below the median (%s)", d.P99, d.Median)
		}
	default:
		c.add(f.path, "unknown distribution %q: use one of %s", d.Kind, strings.Join(distKeys, ", "))
	}
}

func (c *checker) crossField() {
	s := c.s
	// Sums are checked only when each part is in range, so one mistake is one message.
	if fr, cr := s.Service.FailureRate, s.Service.CrashRate; fr <= 1 && cr <= 1 && fr+cr > 1+1e-9 {
		c.add(c.written("service.crash_rate", "service.failure_rate"), "failure_rate + crash_rate is %s; together they must be at most 100%%", formatPercent(fr+cr))
	}
	f := s.Faults.SQS
	if sum := f.ErrorRate + f.ThrottleRate + f.LatencyRate + f.DropRate + f.TimeoutRate; sum > 1+1e-9 &&
		max(f.ErrorRate, f.ThrottleRate, f.LatencyRate, f.DropRate, f.TimeoutRate) <= 1 {
		c.add(c.written("faults.sqs.error_rate", "faults.sqs.throttle_rate", "faults.sqs.latency_rate", "faults.sqs.drop_rate", "faults.sqs.timeout_rate"), "the fault rates add up to %s; a call gets at most one fault, so they must add up to at most 100%%", formatPercent(sum))
	}
	if f.LatencyRate > 0 && f.Latency == 0 {
		c.add("faults.sqs.latency", "latency_rate is set but latency is 0: set latency, such as 100ms")
	}
	switch s.SQS.Backend {
	case BackendEndpoint:
		if s.SQS.Endpoint != "" {
			if u, err := url.Parse(s.SQS.Endpoint); err != nil || u.Host == "" {
				c.add("sqs.endpoint", "%q is not a URL with a host, such as http://127.0.0.1:9324", s.SQS.Endpoint)
			}
		}
	default:
		if s.SQS.Endpoint != "" {
			c.add("sqs.endpoint", "is only used with backend: endpoint (the backend is %s): remove it or set backend: endpoint", s.SQS.Backend)
		}
	}
	q := s.SQS.Queues
	names := map[string]string{}
	for _, n := range []struct{ path, name string }{
		{"sqs.queues.jobs", q.Jobs}, {"sqs.queues.tasks", q.Tasks}, {"sqs.queues.dead_letter", q.DeadLetter},
	} {
		if other, dup := names[n.name]; dup {
			c.add(n.path, "%q is also the name of %s: each queue needs its own name", n.name, other)
		}
		names[n.name] = n.path
	}
	if s.Load.Jobs < s.Load.Batches {
		c.add("load.batches", "%d batches need at least %d jobs, and load.jobs is %d (jobs is the total across batches)", s.Load.Batches, s.Load.Batches, s.Load.Jobs)
	}
	if s.Timeout > 0 && s.Timeout <= s.Service.ShutdownTimeout {
		c.add("timeout", "%s leaves no time beyond service.shutdown_timeout (%s): a run includes the shutdown", s.Timeout, s.Service.ShutdownTimeout)
	}
	if s.Baseline.MinSamples == 1 {
		c.add("baseline.min_samples", "1 sample cannot show a significant difference: use 0 (the default) or at least 2")
	}
}

// written returns the first of paths that the file set, so that a
// problem involving several fields points at one the author wrote.
func (c *checker) written(paths ...string) string {
	for _, p := range paths {
		if _, ok := c.s.positions[p]; ok {
			return p
		}
	}
	return paths[0]
}

func formatPercent(v float64) string { return formatBound(&field{kind: kRatio}, v) }

func (c *checker) thresholds() {
	paths := c.s.MatrixPaths()
	for i := range c.s.Thresholds {
		t := &c.s.Thresholds[i]
		name := fmt.Sprintf("thresholds[%d]", i)
		if t.Parsed == nil {
			e, err := threshold.Parse(t.Expr)
			if err != nil {
				c.add(name, "%s: %v", threshold.Excerpt(t.Expr), err)
				continue
			}
			t.Parsed = e
		}
		// Cases carry no matrix of their own; their scaling thresholds
		// were checked on the scenario they came from.
		if c.s.isCase {
			continue
		}
		if err := t.Parsed.Check(paths); err != nil {
			c.add(name, "%s: %v", threshold.Excerpt(t.Expr), err)
		}
	}
}

func (c *checker) baseline() {
	for i, key := range c.s.Baseline.Metrics {
		if !isMetricKey(key) {
			c.add(fmt.Sprintf("baseline.metrics[%d]", i), "%s", unknownMetricKey(key))
		}
	}
	keys := make([]string, 0, len(c.s.Baseline.Tolerance))
	for k := range c.s.Baseline.Tolerance {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := "baseline.tolerance." + k
		if !isMetricKey(k) {
			c.add(path, "%s", unknownMetricKey(k))
			continue
		}
		if v := c.s.Baseline.Tolerance[k]; v < 0 || v > 10 || math.IsNaN(v) {
			c.add(path, "must be between 0%% and 1000%%, got %s", formatPercent(v))
		}
	}
}

func unknownMetricKey(key string) string {
	if d, ok := metric.Lookup(key); ok && d.Kind == metric.Distribution {
		return fmt.Sprintf("%s is a distribution: name a statistic, such as %s", key, metric.Key(key, "p99"))
	}
	base := key
	if i := strings.LastIndexByte(key, '.'); i > 0 && metric.IsStat(key[i+1:]) {
		base = key[:i]
	}
	if sug := metric.Suggest(base); sug != "" {
		return fmt.Sprintf("unknown metric %s: did you mean %s?", key, sug)
	}
	return fmt.Sprintf("unknown metric %s: see runner/metric/defs.go for the list", key)
}

// cases validates every case of the matrix: a value can be fine on its
// own and out of range only in combination (load.jobs below load.batches).
func (c *checker) cases() {
	if len(c.s.Matrix) == 0 {
		return
	}
	cases, err := c.s.Cases()
	if err != nil {
		if l, ok := err.(ErrorList); ok {
			c.errs = append(c.errs, l...)
		}
		return
	}
	for _, cs := range cases {
		for _, e := range cs.Scenario.validate() {
			e.Msg += " (in case " + cs.Name + ")"
			c.errs = append(c.errs, e)
		}
	}
}

// Cases expands the matrix: one case per combination of the axes'
// values, the first axis varying slowest. Without a matrix there is one
// case named after the scenario. Each case holds a deep copy of the
// scenario with its values applied and no matrix.
func (s *Scenario) Cases() ([]Case, error) {
	if len(s.Matrix) == 0 {
		c := s.Clone()
		c.isCase = true
		return []Case{{Name: s.Name, Scenario: c}}, nil
	}
	labels := axisLabels(s.Matrix)
	var out []Case
	var errs ErrorList
	idx := make([]int, len(s.Matrix))
	for {
		c := s.Clone()
		c.Matrix = nil
		c.isCase = true
		params := map[string]string{}
		var parts []string
		for a, ax := range s.Matrix {
			v := ax.Values[idx[a]]
			params[ax.Path] = v
			parts = append(parts, labels[a]+"="+v)
			if err := applyValue(c, ax, idx[a]); err != nil {
				errs = append(errs, err)
			}
		}
		out = append(out, Case{Name: s.Name + "/" + strings.Join(parts, ","), Params: params, Scenario: c})
		if len(out) > maxCases {
			return nil, ErrorList{{File: s.File, Field: "matrix", Msg: fmt.Sprintf("the matrix expands to more than %d cases: sweep fewer values", maxCases)}}
		}
		// Advance the odometer, last axis fastest.
		a := len(idx) - 1
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < len(s.Matrix[a].Values) {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs.dedupe().sorted()
	}
	return out, nil
}

// axisLabels names each axis in case names by its last path segment
// ("workers"), or by its full path where the last segments collide.
func axisLabels(axes []MatrixAxis) []string {
	count := map[string]int{}
	last := make([]string, len(axes))
	for i, ax := range axes {
		last[i] = ax.Path[strings.LastIndexByte(ax.Path, '.')+1:]
		count[last[i]]++
	}
	for i, ax := range axes {
		if count[last[i]] > 1 {
			last[i] = ax.Path
		}
	}
	return last
}

func applyValue(c *Scenario, ax MatrixAxis, j int) *Error {
	f := fieldsByPath[ax.Path]
	e := &Error{File: c.File, Field: fmt.Sprintf("matrix.%s[%d]", ax.Path, j)}
	if j < len(ax.valuePos) {
		e.Line, e.Column = ax.valuePos[j].line, ax.valuePos[j].column
	}
	if f == nil || !f.axis {
		e.Msg = "is not a field the matrix can sweep"
		return e
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: ax.Values[j]}
	if j < len(ax.tags) {
		n.Tag = ax.tags[j]
	}
	if err := decodeLeaf(f, n, c); err != nil {
		e.Msg = err.Error()
		return e
	}
	if c.positions == nil {
		c.positions = map[string]position{}
	}
	if j < len(ax.valuePos) {
		c.positions[ax.Path] = ax.valuePos[j]
	} else {
		delete(c.positions, ax.Path)
	}
	return nil
}
