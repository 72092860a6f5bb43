package verdict

import (
	"math/rand/v2"
	"testing"

	"github.com/sqsperf/sqsperf/runner/baseline"
)

// BenchmarkCompare measures one comparison of the default gates with ten
// repeats per side, the cost a scenario run pays per case.
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := simConfig{n: RecommendedRepeats, cv: 0.05}
	base := baseline.FromCase("sim", "h", testFP, simCase(rng, cfg, nil, 0))
	cur := simCase(rng, cfg, map[string]float64{"cpu.per_message": 1.15}, 0)
	b.ReportAllocs()
	for b.Loop() {
		Compare(base, cur, testFP, Options{})
	}
}
