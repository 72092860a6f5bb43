package threshold

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

func TestFuncsRegisteredOnce(t *testing.T) {
	sorted := slices.Sorted(slices.Values(funcNames))
	assert.Len(t, slices.Compact(sorted), len(funcNames), "a function registered twice: %v", funcNames)
	assert.Len(t, funcs, len(funcNames))
	for _, name := range funcNames {
		assert.False(t, metric.IsStat(name), "function %s would shadow the statistic of the same name", name)
		f := funcs[name]
		assert.NotNil(t, f.Accepts, name)
		assert.NotNil(t, f.Observe, name)
	}
	assert.Contains(t, funcNames, ScalingFunc)
}

// registerForTest adds f for the duration of the test.
func registerForTest(t *testing.T, f Func) {
	t.Helper()
	register(f)
	t.Cleanup(func() {
		delete(funcs, f.Name)
		funcNames = slices.DeleteFunc(funcNames, func(n string) bool { return n == f.Name })
	})
}

// A new function is a registration: the parser, Ref, Check, the unit of
// its bound, the unknown-function hint and Judge all follow from it.
func TestARegisteredFunctionIsParsedAndJudged(t *testing.T) {
	// spread(METRIC, AXIS): the largest case median over the smallest.
	registerForTest(t, Func{
		Name: "spread",
		Unit: metric.Number,
		Accepts: func(def metric.Def, key string) string {
			if def.Unit != metric.Rate {
				return "spread needs a rate; " + key + " is not"
			}
			return ""
		},
		Observe: func(e *Expr, series []Series) (float64, string, error) {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, s := range series {
				for _, p := range s.Points {
					lo, hi = min(lo, p.Value), max(hi, p.Value)
				}
			}
			return hi / lo, fmt.Sprintf("%.2f", hi/lo), nil
		},
	})

	e, err := Parse("spread(throughput, service.workers) < 150%")
	require.NoError(t, err)
	assert.Equal(t, "spread", e.Func)
	assert.Equal(t, "service.workers", e.Axis)
	assert.Equal(t, "spread(throughput, service.workers)", e.Ref())
	assert.InDelta(t, 1.5, e.Bound, 1e-12)
	assert.Equal(t, metric.Number, e.Unit())
	assert.NoError(t, e.Check([]string{"service.workers"}))
	assert.ErrorContains(t, e.Check(nil), "spread(..., service.workers) needs a matrix")

	got := Judge(e, "f:1", []result.Case{scalingCase("2", 100), scalingCase("4", 180)})
	require.Len(t, got, 1)
	assert.InDelta(t, 1.8, got[0].Observed, 1e-12)
	assert.Equal(t, "1.80", got[0].Display)
	assert.False(t, got[0].Pass)

	_, err = Parse("spread(lost, service.workers) < 2")
	assert.ErrorContains(t, err, "spread needs a rate; lost is not")
	_, err = Parse("spred(throughput, service.workers) < 2")
	assert.ErrorContains(t, err, "did you mean spread?")
	_, err = Parse("zzzzzz(throughput) < 2")
	assert.ErrorContains(t, err, "use one of p50, p90, p95, p99, max, mean, scaling, spread")
}

// An Expr naming no registered function (built by hand) fails with an
// error rather than passing.
func TestJudgeUnknownFunctionFails(t *testing.T) {
	e := &Expr{Source: "x", Func: "nope", Axis: "a", Op: Less, Bound: 1}
	r := Judge(e, "", []result.Case{scalingCase("2", 1), scalingCase("4", 2)})[0]
	assert.False(t, r.Pass)
	assert.Equal(t, "unknown function nope", r.Error)
}
