package probe

import "github.com/sqsperf/sqsperf/runner/result"

// maxSeriesPoints bounds every series, so a probe's memory does not grow
// with the run's length: when a series is full, neighbouring points are
// merged pairwise and later samples are merged in twos, fours, ... as well.
const maxSeriesPoints = 2000

// mergeMode says how merged points combine: peaks must survive
// downsampling for lag and latency (a merged mean would hide a stall),
// while gauges such as queue depth read better averaged.
type mergeMode int

const (
	mergeMax mergeMode = iota
	mergeMean
)

type series struct {
	name, unit string
	mode       mergeMode
	limit      int
	t, v       []float64
	// stride raw samples make one stored point once the series has been
	// compacted; pending accumulates the current group.
	stride      int
	pendingN    int
	pendingT    float64
	pendingV    float64
	pendingSumV float64
}

func newSeries(name, unit string, mode mergeMode) *series {
	return &series{name: name, unit: unit, mode: mode, limit: maxSeriesPoints, stride: 1}
}

func (s *series) add(t, v float64) {
	if s.pendingN == 0 {
		// Compact before starting a group, so every stored point of a
		// merge carries the same number of raw samples.
		if len(s.t) >= s.limit {
			s.compact()
		}
		s.pendingT, s.pendingV, s.pendingSumV = t, v, 0
	}
	s.pendingN++
	s.pendingSumV += v
	s.pendingV = max(s.pendingV, v)
	if s.pendingN < s.stride {
		return
	}
	s.t = append(s.t, s.pendingT)
	s.v = append(s.v, s.flushValue())
	s.pendingN = 0
}

func (s *series) flushValue() float64 {
	if s.mode == mergeMean {
		return s.pendingSumV / float64(s.pendingN)
	}
	return s.pendingV
}

// compact halves the series in place by merging pairs.
func (s *series) compact() {
	n := 0
	for i := 0; i+1 < len(s.t); i += 2 {
		a, b := s.v[i], s.v[i+1]
		s.t[n] = s.t[i]
		if s.mode == mergeMean {
			s.v[n] = (a + b) / 2
		} else {
			s.v[n] = max(a, b)
		}
		n++
	}
	if len(s.t)%2 == 1 {
		s.t[n], s.v[n] = s.t[len(s.t)-1], s.v[len(s.v)-1]
		n++
	}
	s.t, s.v = s.t[:n], s.v[:n]
	s.stride *= 2
}

func (s *series) result() result.Series {
	t, v := append([]float64(nil), s.t...), append([]float64(nil), s.v...)
	if s.pendingN > 0 {
		t = append(t, s.pendingT)
		v = append(v, s.flushValue())
	}
	return result.Series{Name: s.name, Unit: s.unit, T: t, Value: v}
}
