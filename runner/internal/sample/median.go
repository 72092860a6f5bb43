// Package sample holds the statistics of a handful of samples that more
// than one package needs to compute the same way: the threshold judge,
// the baseline verdict and the reports all say "the median" of a case's
// repeats, and must mean the same number by it.
package sample

import (
	"math"
	"slices"
)

// Median returns the median of xs (the mean of the two middle values for
// an even count) without changing xs. ok is false for no samples. A NaN
// among them makes the median NaN: a value that could not be measured
// has no rank, and a threshold must not pass over it.
func Median(xs []float64) (m float64, ok bool) {
	if len(xs) == 0 {
		return 0, false
	}
	if slices.ContainsFunc(xs, math.IsNaN) {
		return math.NaN(), true
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}
