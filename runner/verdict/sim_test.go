package verdict

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// The simulations below are the evidence behind DefaultAlpha and
// RecommendedRepeats. They draw runs from a known distribution, so the
// right answer is known: with both sides drawn alike every regression is a
// false alarm; with a shift injected every miss is a missed regression.

// simMetrics are the default gates with a plausible centre each.
var simMetrics = map[string]float64{
	"cpu.per_message":         120e-6,
	"alloc.per_message":       85,
	"alloc.bytes_per_message": 9000,
	"throughput":              1500,
}

type simConfig struct {
	seed   uint64
	trials int
	n      int                // repeats per side
	cv     float64            // run-to-run coefficient of variation of every metric
	factor map[string]float64 // multiplies the current side's centre
	// driftCV is a systematic offset between the two sides, drawn per
	// comparison and applied to machine-dependent metrics only: the
	// machine was busier or calmer when the baseline was taken. No test
	// can tell it from a real change; the tolerances absorb it.
	driftCV float64
	wanted  string // the metric whose regression counts as detected
}

type simOutcome struct {
	anyRegression float64 // share of comparisons with any regression
	detected      float64 // share that flagged wanted as a regression
	warned        float64 // share with a too-few-samples warning
}

// lognormal draws a value with the given median and coefficient of variation.
func lognormal(rng *rand.Rand, median, cv float64) float64 {
	sigma := math.Sqrt(math.Log1p(cv * cv))
	return median * math.Exp(sigma*rng.NormFloat64())
}

func simCase(rng *rand.Rand, cfg simConfig, factor map[string]float64, drift float64) result.Case {
	c := result.Case{Name: "sim"}
	for i := range cfg.n {
		m := map[string]float64{"lost": 0}
		// Sorted keys: map order would hand the seeded draws to different
		// metrics on every run and make the simulation irreproducible.
		for _, key := range slices.Sorted(maps.Keys(simMetrics)) {
			centre := simMetrics[key]
			if f, ok := factor[key]; ok {
				centre *= f
			}
			if d, _, _ := metric.Resolve(key); d.MachineDependent {
				centre *= 1 + drift
			}
			m[key] = lognormal(rng, centre, cfg.cv)
		}
		c.Runs = append(c.Runs, result.Run{Repeat: i + 1, Metrics: m})
	}
	return c
}

func simulate(cfg simConfig) simOutcome {
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x5eed))
	var any, detected, warned int
	for range cfg.trials {
		base := baseline.FromCase("sim", "h", testFP, simCase(rng, cfg, nil, 0))
		cur := simCase(rng, cfg, cfg.factor, cfg.driftCV*rng.NormFloat64())
		rep := Compare(base, cur, testFP, Options{})
		if Regressed(rep) {
			any++
		}
		warn := false
		for _, c := range rep.Comparisons {
			if c.Metric == cfg.wanted && c.Verdict == Regression {
				detected++
			}
			warn = warn || c.Verdict == Warning
		}
		if warn {
			warned++
		}
	}
	n := float64(cfg.trials)
	return simOutcome{float64(any) / n, float64(detected) / n, float64(warned) / n}
}

// TestSimulatedFalseAlarmRate: A/A, four gates judged at once, 10% noise on
// every one (noisier than allocation counts ever are), 1000 comparisons
// per sample size.
func TestSimulatedFalseAlarmRate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n, trials int
		drift     float64
	}{
		{5, 100, 0}, // below SamplesNeeded: only warnings, so few trials suffice
		{6, 1000, 0},
		{8, 1000, 0},
		{10, 1000, 0},
		{10, 1000, 0.03},
	}
	for i, c := range cases {
		out := simulate(simConfig{seed: uint64(100 + i), trials: c.trials, n: c.n, cv: 0.10, driftCV: c.drift})
		t.Logf("A/A n=%d cv=10%% drift=%.0f%%: false alarms %.1f%%, warnings %.1f%%", c.n, 100*c.drift, 100*out.anyRegression, 100*out.warned)
		// Without drift the bound holds by construction (about
		// DefaultAlpha/2); a drift is a real difference between the sides
		// that only the tolerances absorb, so it gets a margin.
		bound := 0.01
		if c.drift > 0 {
			bound = 0.015
		}
		assert.LessOrEqual(t, out.anyRegression, bound, "n=%d drift=%v", c.n, c.drift)
		if c.n < SamplesNeeded(DefaultAlpha/4) {
			assert.Equal(t, 1.0, out.warned, "n=%d can never be significant and must say so", c.n)
		} else {
			assert.Zero(t, out.warned, "n=%d is enough samples and must not warn", c.n)
		}
	}
}

// TestSimulatedDetectionRate: A/B with the default repeats. CPU per message
// is judged with 5% run-to-run noise, about twice what getrusage CPU per op
// varied on this loaded 2-core machine (2.2% over 15 runs); allocations
// with the same 10% as the A/A test.
func TestSimulatedDetectionRate(t *testing.T) {
	t.Parallel()
	cpu := simulate(simConfig{seed: 7, trials: 1000, n: RecommendedRepeats, cv: 0.05,
		factor: map[string]float64{"cpu.per_message": 1.15}, wanted: "cpu.per_message"})
	t.Logf("A/B n=%d cv=5%%: +15%% cpu.per_message detected in %.1f%%", RecommendedRepeats, 100*cpu.detected)
	assert.GreaterOrEqual(t, cpu.detected, 0.90)

	alloc := simulate(simConfig{seed: 8, trials: 1000, n: RecommendedRepeats, cv: 0.10,
		factor: map[string]float64{"alloc.bytes_per_message": 2}, wanted: "alloc.bytes_per_message"})
	t.Logf("A/B n=%d cv=10%%: 2x alloc.bytes_per_message detected in %.1f%%", RecommendedRepeats, 100*alloc.detected)
	assert.GreaterOrEqual(t, alloc.detected, 0.90)

	// Detection must not come with false alarms on the metrics that did not move.
	assert.InDelta(t, cpu.detected, cpu.anyRegression, 0.01)
	assert.InDelta(t, alloc.detected, alloc.anyRegression, 0.01)
}

// TestSimulationTable prints the grid the defaults were chosen from. It
// takes a few seconds, so it runs only on request:
//
//	VERDICT_SIM_TABLE=1 go test -run TestSimulationTable -v ./runner/verdict
func TestSimulationTable(t *testing.T) {
	if os.Getenv("VERDICT_SIM_TABLE") == "" {
		t.Skip("set VERDICT_SIM_TABLE=1 to print the simulation grid")
	}
	for _, cv := range []float64{0.03, 0.05, 0.10} {
		for _, n := range []int{5, 6, 7, 8, 10, 12, 15, 20} {
			aa := simulate(simConfig{seed: 1, trials: 2000, n: n, cv: cv})
			drift := simulate(simConfig{seed: 2, trials: 2000, n: n, cv: cv, driftCV: 0.03})
			cpu := simulate(simConfig{seed: 3, trials: 1000, n: n, cv: cv, factor: map[string]float64{"cpu.per_message": 1.15}, wanted: "cpu.per_message"})
			alloc := simulate(simConfig{seed: 4, trials: 1000, n: n, cv: cv, factor: map[string]float64{"alloc.bytes_per_message": 2}, wanted: "alloc.bytes_per_message"})
			fmt.Printf("alpha=%.2f cv=%2.0f%% n=%2d  A/A %5.2f%%  A/A+3%%drift %5.2f%%  cpu+15%% %5.1f%%  alloc x2 %5.1f%%\n",
				DefaultAlpha, 100*cv, n, 100*aa.anyRegression, 100*drift.anyRegression, 100*cpu.detected, 100*alloc.detected)
		}
	}
}
