// Package threshold parses and judges the bounds a scenario sets on its
// metrics:
//
//	lost == 0
//	p99(stage.process) < 50ms
//	throughput > 40/s
//	sched.latency.over_10ms < 5%
//	scaling(throughput, service.workers) >= 0.8
//
// An expression is a metric reference, a comparison operator (< <= > >=
// == !=) and a literal written in the metric's unit. A reference is a
// scalar metric's name, a statistic of a distribution (p50, p90, p95, p99,
// max or mean applied to it, as in p99(stage.process)), or a threshold
// function across a matrix axis, FUNC(METRIC, AXIS), such as scaling
// (funcs.go is their registry; scaling.go registers scaling). Names are
// checked against the registry in runner/metric when parsing, so a
// misspelled metric is an error with a suggestion, never a silent pass.
//
// How a threshold is judged:
//   - On one case: the observed value is the MEDIAN, across the case's
//     runs (repeats), of the metric's value in each run. One noisy repeat
//     therefore cannot fail or pass a scenario on its own.
//   - Except for the message accounting (lost, duplicates, crashes,
//     processed, overflowed, dead_lettered, ...; see EveryRun): those
//     must hold in EVERY run, because one run that loses a message has
//     found a bug, not noise. The observed value is then the first
//     breaching run's ("3 (run 2 of 3)"), or the median when all pass.
//   - scaling(METRIC, AXIS): the cases are ordered by the axis's value
//     (separately for each combination of the other axes' values); for
//     each pair of consecutive values the efficiency is
//     (m[i+1]/m[i]) / (axis[i+1]/axis[i]), where m is the per-case median
//     of METRIC; the observed value is the smallest efficiency. 1.0 is
//     perfectly linear scaling; 0.8 means 80% of it.
package threshold

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sqsperf/sqsperf/runner/internal/suggest"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/units"
)

// Op is a comparison operator.
type Op string

const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
	Equal        Op = "=="
	NotEqual     Op = "!="
)

// Holds reports whether "observed op bound" is true. Equality allows a
// relative difference of 1e-9 so that medians computed in floating point
// still equal the integers people write.
func (op Op) Holds(observed, bound float64) bool {
	if observed != observed { // NaN never satisfies a bound
		return false
	}
	eq := observed == bound || abs(observed-bound) <= 1e-9*max(abs(observed), abs(bound))
	switch op {
	case Less:
		return observed < bound && !eq
	case LessEqual:
		return observed <= bound || eq
	case Greater:
		return observed > bound && !eq
	case GreaterEqual:
		return observed >= bound || eq
	case Equal:
		return eq
	case NotEqual:
		return !eq
	}
	return false
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Expr is a parsed threshold expression.
type Expr struct {
	// Source is the expression as written.
	Source string
	// Metric is the base metric name ("stage.process", "throughput").
	Metric string
	// Stat is the statistic of a distribution ("p99"), "" for a scalar.
	Stat string
	// Def is the metric's registry definition.
	Def metric.Def
	// Func is the threshold function ("scaling", see funcs.go) and Axis
	// the matrix path it is judged across ("service.workers"); both are ""
	// for a threshold judged on each case.
	Func string
	Axis string
	Op   Op
	// Bound is the literal in base units (seconds, bytes, per second,
	// fraction, count).
	Bound float64
	// Literal is the bound as written ("50ms").
	Literal string
}

// Key is the flat metric key the expression reads from each run
// (metric.Key): "stage.process.p99", "throughput".
func (e *Expr) Key() string { return metric.Key(e.Metric, e.Stat) }

// Across reports whether the expression is a function judged across a
// matrix axis (one result for the matrix) rather than on each case.
func (e *Expr) Across() bool { return e.Func != "" }

// Unit is the unit of the observed value: the metric's for a plain
// reference, the function's for a function (a dimensionless number for
// scaling).
func (e *Expr) Unit() metric.Unit {
	if e.Across() {
		if f, ok := lookupFunc(e.Func); ok {
			return f.Unit
		}
		return metric.Number
	}
	return e.Def.Unit
}

// Ref returns the left-hand side in a canonical spelling:
// "p99(stage.process)", "scaling(throughput, service.workers)".
func (e *Expr) Ref() string {
	ref := e.Metric
	if e.Stat != "" {
		ref = e.Stat + "(" + e.Metric + ")"
	}
	if e.Across() {
		ref = e.Func + "(" + ref + ", " + e.Axis + ")"
	}
	return ref
}

// String returns the expression in a canonical spelling.
func (e *Expr) String() string { return e.Ref() + " " + string(e.Op) + " " + e.Literal }

// Error is a problem in an expression. Column is 1-based within the
// expression text (0 when the problem is not at one place).
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
	}
	return e.Msg
}

func errAt(col int, format string, args ...any) *Error {
	return &Error{Column: col, Msg: fmt.Sprintf(format, args...)}
}

// maxEcho is how much of an expression an error message quotes. A real
// threshold is far shorter; an over-long one (lex refuses more than
// maxExprLen) must not fill the terminal with itself.
const maxEcho = 80

// Excerpt returns expr as an error message should quote it: whole when
// it is short, else its first maxEcho characters and how long it was.
// Callers that echo the expression before Parse's error (the scenario
// decoder, with file:line) use it.
func Excerpt(expr string) string {
	if len(expr) <= maxEcho {
		return expr
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(expr[cut]) {
		cut-- // never split a character
	}
	return fmt.Sprintf("%s… (%d characters in all)", expr[:cut], len(expr))
}

const grammarHint = "write METRIC OP VALUE, such as p99(stage.process) < 50ms or lost == 0"

// Parse parses one expression and checks its metric against the registry
// and its literal against the metric's unit. Matrix axes are checked
// separately by Check, because only the scenario knows its matrix.
func Parse(s string) (*Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	e, perr := p.parse()
	if perr != nil {
		return nil, perr
	}
	return e, nil
}

// Check verifies what depends on the scenario: a function threshold must
// name one of the scenario's matrix paths.
func (e *Expr) Check(matrixPaths []string) error {
	if !e.Across() {
		return nil
	}
	for _, p := range matrixPaths {
		if p == e.Axis {
			return nil
		}
	}
	if len(matrixPaths) == 0 {
		return &Error{Msg: fmt.Sprintf("%s(..., %s) needs a matrix: add `matrix: {%s: [2, 4, 8]}` to the scenario", e.Func, e.Axis, e.Axis)}
	}
	msg := fmt.Sprintf("%s is not a matrix axis of this scenario; its axes are: %s", e.Axis, strings.Join(matrixPaths, ", "))
	if sug := suggest.Closest(e.Axis, matrixPaths); sug != "" {
		msg = fmt.Sprintf("%s is not a matrix axis of this scenario: did you mean %s?", e.Axis, sug)
	}
	return &Error{Msg: msg}
}

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) expect(k tokKind, what string) (token, *Error) {
	t := p.next()
	if t.kind != k {
		return t, errAt(t.col, "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

func (p *parser) parse() (*Expr, *Error) {
	if p.peek().kind == tEOF {
		return nil, errAt(0, "empty threshold: %s", grammarHint)
	}
	e := &Expr{Source: p.src}
	if err := p.parseRef(e, true); err != nil {
		return nil, err
	}
	opTok := p.next()
	if opTok.kind != tOp {
		if opTok.kind == tEOF {
			return nil, errAt(opTok.col, "missing comparison after the metric: %s", grammarHint)
		}
		return nil, errAt(opTok.col, "expected a comparison (< <= > >= == !=), found %s", opTok.describe())
	}
	e.Op = Op(opTok.text)
	lit := p.next()
	if lit.kind != tNumber {
		if lit.kind == tEOF {
			return nil, errAt(lit.col, "missing value after %s: %s", e.Op, grammarHint)
		}
		return nil, errAt(lit.col, "expected a value such as %s, found %s", example(e.Unit()), lit.describe())
	}
	if t := p.next(); t.kind != tEOF {
		return nil, errAt(t.col, "unexpected %s after the value: one threshold per line", t.describe())
	}
	e.Literal = lit.text
	bound, err := literalFor(e, lit.text)
	if err != nil {
		return nil, errAt(lit.col, "%s", err.Error())
	}
	e.Bound = bound
	return e, nil
}

// parseRef parses NAME | STAT(NAME) | FUNC(REF, AXIS) into e, FUNC being
// a registered threshold function (funcs.go).
func (p *parser) parseRef(e *Expr, top bool) *Error {
	name, err := p.expect(tIdent, "a metric name")
	if err != nil {
		if name.kind == tNumber {
			return errAt(name.col, "a threshold starts with the metric: %s", grammarHint)
		}
		return err
	}
	if p.peek().kind != tLParen {
		return p.resolveName(e, name)
	}
	p.next()
	fn := name.text
	f, isFunc := lookupFunc(fn)
	switch {
	case isFunc && top:
		return p.parseFunc(e, f, name)
	case isFunc:
		return errAt(name.col, "%s(...) cannot be nested", fn)
	case metric.IsStat(fn):
		arg, err := p.expect(tIdent, "a distribution name such as stage.process")
		if err != nil {
			return err
		}
		if p.peek().kind == tLParen {
			return errAt(arg.col, "%s(...) cannot be used inside %s(...): a statistic applies to a distribution name", arg.text, fn)
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return err
		}
		def, ok := metric.Lookup(arg.text)
		if !ok {
			return unknownMetric(arg)
		}
		if def.Kind != metric.Distribution {
			return errAt(name.col, "%s is a single value, not a distribution: write %s without %s(...)", arg.text, arg.text, fn)
		}
		e.Metric, e.Stat, e.Def = def.Name, fn, def
		return nil
	}
	known := append(append([]string{}, metric.Stats...), funcNames...)
	msg := fmt.Sprintf("unknown function %s: use one of %s", fn, strings.Join(known, ", "))
	if sug := suggest.Closest(fn, known); sug != "" {
		msg = fmt.Sprintf("unknown function %s: did you mean %s?", fn, sug)
	}
	return errAt(name.col, "%s", msg)
}

// parseFunc parses the "REF, AXIS)" of a threshold function f called at
// name, and asks f whether it applies to the metric.
func (p *parser) parseFunc(e *Expr, f Func, name token) *Error {
	if err := p.parseRef(e, false); err != nil {
		return err
	}
	if _, err := p.expect(tComma, "a comma and the matrix axis, as in "+f.Name+"(throughput, service.workers)"); err != nil {
		return err
	}
	axis, err := p.expect(tIdent, "a matrix axis such as service.workers")
	if err != nil {
		return err
	}
	e.Func, e.Axis = f.Name, axis.text
	if _, err := p.expect(tRParen, "')'"); err != nil {
		return err
	}
	if msg := f.Accepts(e.Def, e.Key()); msg != "" {
		return errAt(name.col, "%s", msg)
	}
	return nil
}

func (p *parser) resolveName(e *Expr, name token) *Error {
	if def, ok := metric.Lookup(name.text); ok {
		if def.Kind == metric.Distribution {
			return errAt(name.col, "%s is a distribution: name a statistic, as in p99(%s); one of %s",
				name.text, name.text, strings.Join(metric.Stats, ", "))
		}
		e.Metric, e.Def = def.Name, def
		return nil
	}
	// The flat key of a statistic ("stage.process.p99") means the same as p99(stage.process).
	if def, stat, ok := metric.Resolve(name.text); ok {
		e.Metric, e.Stat, e.Def = def.Name, stat, def
		return nil
	}
	return unknownMetric(name)
}

func unknownMetric(name token) *Error {
	if sug := metric.Suggest(name.text); sug != "" {
		return errAt(name.col, "unknown metric %s: did you mean %s?", name.text, sug)
	}
	return errAt(name.col, "unknown metric %s: see the metric list in runner/metric/defs.go", name.text)
}

// literalFor converts a literal to base units after checking that its
// dimension fits the unit of what is compared.
func literalFor(e *Expr, lit string) (float64, error) {
	q, err := units.ParseQuantity(lit)
	if err != nil {
		return 0, err
	}
	u := e.Unit()
	ref := e.Ref()
	wrong := func() error {
		return fmt.Errorf("%s is %s, so %s does not fit: write %s", ref, unitNoun(u), lit, example(u))
	}
	switch u {
	case metric.Duration, metric.Bytes, metric.Rate:
		if q.Dim == u.Dim() || (q.Dim == units.Plain && q.Value == 0) {
			return q.Value, nil
		}
	case metric.Ratio:
		if q.Dim == units.Percent {
			return q.Value, nil
		}
		if q.Dim == units.Plain {
			if q.Value > 1 || q.Value < -1 {
				return 0, fmt.Errorf("%s is a share, and %s is more than 1 (100%%): write %s%% if you meant a percentage", ref, lit, lit)
			}
			return q.Value, nil
		}
	case metric.Count, metric.Number:
		if q.Dim == units.Plain {
			return q.Value, nil
		}
		// An efficiency reads naturally as a percentage: scaling(...) >= 80%.
		if e.Across() && q.Dim == units.Percent {
			return q.Value, nil
		}
	}
	return 0, wrong()
}

func unitNoun(u metric.Unit) string { return u.Noun() }

func example(u metric.Unit) string { return u.Example() }
