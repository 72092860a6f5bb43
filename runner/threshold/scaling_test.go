package threshold

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

func scalingCase(workers string, throughput ...float64) result.Case {
	c := result.Case{Name: "s/workers=" + workers, Params: map[string]string{"service.workers": workers}}
	for _, v := range throughput {
		c.Runs = append(c.Runs, run(map[string]float64{"throughput": v}))
	}
	return c
}

func TestJudgeScaling(t *testing.T) {
	e, err := Parse("scaling(throughput, service.workers) >= 0.8")
	require.NoError(t, err)
	// Written out of order on purpose: cases are ordered by the axis value.
	cases := []result.Case{
		scalingCase("8", 300, 320, 310), // median 310
		scalingCase("2", 100, 90, 110),  // median 100
		scalingCase("4", 190, 200, 180), // median 190
	}
	got := Judge(e, "f:3", cases)
	require.Len(t, got, 1)
	r := got[0]
	// 2->4: (190/100)/2 = 0.95; 4->8: (310/190)/2 = 0.8158
	assert.InDelta(t, (310.0/190.0)/2, r.Observed, 1e-12)
	assert.True(t, r.Pass)
	assert.Equal(t, "", r.Case)
	assert.Equal(t, "0.816 (worst step: service.workers 4→8)", r.Display)

	strict, err := Parse("scaling(throughput, service.workers) >= 0.9")
	require.NoError(t, err)
	assert.False(t, Judge(strict, "", cases)[0].Pass)
}

func TestJudgeScalingHoldsOtherAxesEqual(t *testing.T) {
	e, err := Parse("scaling(throughput, service.workers) > 0.9")
	require.NoError(t, err)
	mk := func(workers, payload string, v float64) result.Case {
		return result.Case{Name: workers + payload,
			Params: map[string]string{"service.workers": workers, "load.payload": payload},
			Runs:   []result.Run{run(map[string]float64{"throughput": v})}}
	}
	// Across payloads throughput differs a lot; within each payload scaling is perfect
	// for 1KiB and poor for 64KiB. Mixing groups would hide that.
	cases := []result.Case{
		mk("2", "1KiB", 100), mk("4", "1KiB", 200),
		mk("2", "64KiB", 10), mk("4", "64KiB", 12),
	}
	r := Judge(e, "", cases)[0]
	assert.InDelta(t, 0.6, r.Observed, 1e-12)
	assert.Contains(t, r.Display, "with load.payload=64KiB")
	assert.False(t, r.Pass)
}

func TestJudgeScalingCannotJudge(t *testing.T) {
	e, err := Parse("scaling(throughput, service.workers) >= 0.8")
	require.NoError(t, err)
	for name, cases := range map[string][]result.Case{
		"one point":    {scalingCase("2", 100)},
		"no axis":      {{Name: "x", Runs: []result.Run{run(map[string]float64{"throughput": 1})}}},
		"zero":         {scalingCase("2", 0), scalingCase("4", 100)},
		"non-numeric":  {scalingCase("two", 1), scalingCase("4", 100)},
		"duplicate":    {scalingCase("2", 1), scalingCase("2", 100)},
		"not measured": {scalingCase("2"), scalingCase("4", 100)},
	} {
		t.Run(name, func(t *testing.T) {
			r := Judge(e, "", cases)[0]
			assert.False(t, r.Pass)
			assert.NotEmpty(t, r.Error)
			assert.True(t, math.IsNaN(r.Observed))
		})
	}
}

func TestJudgeScalingDurationAxis(t *testing.T) {
	e, err := Parse("scaling(throughput, service.task.io_wait) >= 0.5")
	require.NoError(t, err)
	mk := func(io string, v float64) result.Case {
		return result.Case{Name: io, Params: map[string]string{"service.task.io_wait": io},
			Runs: []result.Run{run(map[string]float64{"throughput": v})}}
	}
	r := Judge(e, "", []result.Case{mk("10ms", 100), mk("1s", 10000)})[0]
	assert.InDelta(t, 1.0, r.Observed, 1e-9)
}
