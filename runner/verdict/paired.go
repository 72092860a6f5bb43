package verdict

import (
	"math"

	moremath "github.com/aclements/go-moremath/stats"
)

// minPairs is the fewest rounds the paired test judges.
const minPairs = 4

// pairedLogTest judges an interleaved A/B round by round. The rounds of
// one A/B ran back to back, so a neighbour's burst or the machine's drift
// moves both sides of a round together: the spread between rounds (on a
// loaded 2-core machine cpu.per_message ranged 300-400 µs in one
// comparison) is shared, and the ratio B/A of each round is steady (a
// +15% change read +12% to +18% in every round of the same comparison).
// A Mann-Whitney U test on the two pools ignores that pairing and could
// not tell that +15% from the drift; a paired test on log(B/A) can. It is
// Student's paired t-test on the logarithms (ratios are what a relative
// tolerance judges, and logs make them additive and symmetric); a burst
// that hits one side of one round widens the spread and so makes the
// test more cautious, not less. It returns the two-sided p-value and the
// geometric mean change; ok is false when the samples cannot be paired
// (different counts, too few, or a value that is not positive).
func pairedLogTest(base, cur []float64) (p, change float64, ok bool) {
	n := len(base)
	if n != len(cur) || n < minPairs {
		return 0, 0, false
	}
	a, b := make([]float64, n), make([]float64, n)
	for i := range base {
		if !(base[i] > 0) || !(cur[i] > 0) || math.IsInf(base[i], 0) || math.IsInf(cur[i], 0) {
			return 0, 0, false
		}
		a[i], b[i] = math.Log(base[i]), math.Log(cur[i])
	}
	var mean float64
	for i := range a {
		mean += b[i] - a[i]
	}
	mean /= float64(n)
	change = math.Expm1(mean)
	res, err := moremath.PairedTTest(b, a, 0, moremath.LocationDiffers)
	if err != nil {
		// Every round's ratio identical (zero spread): a change is
		// certain if there is one, absent otherwise.
		if mean != 0 {
			return 0, change, true
		}
		return 1, 0, true
	}
	if math.IsNaN(res.P) {
		return 1, change, true
	}
	return res.P, change, true
}
