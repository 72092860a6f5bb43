package sample

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
		ok   bool
	}{
		{"none", nil, 0, false},
		{"one", []float64{7}, 7, true},
		{"odd, unsorted", []float64{3, 1, 2}, 2, true},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5, true},
		{"negative", []float64{-1, -3, -2}, -2, true},
		{"infinities rank", []float64{math.Inf(1), 1, 2}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Median(tc.xs)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Median(%v) = %v, %v; want %v, %v", tc.xs, got, ok, tc.want, tc.ok)
			}
		})
	}
	if m, ok := Median([]float64{1, math.NaN(), 3}); !ok || !math.IsNaN(m) {
		t.Errorf("Median with a NaN = %v, %v; want NaN, true", m, ok)
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("Median sorted its argument: %v", xs)
	}
}
