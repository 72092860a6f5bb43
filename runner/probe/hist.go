package probe

import (
	"math"
	"runtime/metrics"
)

// histDelta holds the difference between two readings of a cumulative
// runtime/metrics histogram. The runtime's buckets are about 25% wide for
// scheduler latencies and GC pauses, so every statistic read from it is a
// bucket edge, not an exact sample: quantiles and the max report the upper
// edge of the bucket they fall into, which errs on the pessimistic side
// (a threshold such as p99 < 10ms never passes because of bucketing).
type histDelta struct {
	counts  []uint64
	buckets []float64 // len(counts)+1 edges; the first may be -Inf, the last +Inf
}

// subtract fills d with cur-prev. The bucket layout of a runtime metric
// never changes during a process's life, so only the counts are copied.
func (d *histDelta) subtract(cur, prev *metrics.Float64Histogram) {
	if cap(d.counts) < len(cur.Counts) {
		d.counts = make([]uint64, len(cur.Counts))
	}
	d.counts = d.counts[:len(cur.Counts)]
	d.buckets = cur.Buckets
	for i, c := range cur.Counts {
		var p uint64
		if prev != nil && i < len(prev.Counts) {
			p = prev.Counts[i]
		}
		if c >= p {
			d.counts[i] = c - p
		} else {
			d.counts[i] = 0
		}
	}
}

func (d *histDelta) total() uint64 {
	var n uint64
	for _, c := range d.counts {
		n += c
	}
	return n
}

// upper returns the finite upper edge of bucket i (its lower edge when the
// bucket is open above).
func (d *histDelta) upper(i int) float64 {
	if hi := d.buckets[i+1]; !math.IsInf(hi, 0) {
		return hi
	}
	if lo := d.buckets[i]; !math.IsInf(lo, 0) {
		return lo
	}
	return 0
}

// quantile returns the upper edge of the bucket holding the q-th sample.
func (d *histDelta) quantile(q float64) float64 {
	n := d.total()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range d.counts {
		seen += c
		if seen >= rank {
			return d.upper(i)
		}
	}
	return d.max()
}

func (d *histDelta) max() float64 {
	for i := len(d.counts) - 1; i >= 0; i-- {
		if d.counts[i] > 0 {
			return d.upper(i)
		}
	}
	return 0
}

// mean uses each bucket's midpoint (its finite edge when open on one side).
func (d *histDelta) mean() float64 {
	n := d.total()
	if n == 0 {
		return 0
	}
	var sum float64
	for i, c := range d.counts {
		if c == 0 {
			continue
		}
		lo, hi := d.buckets[i], d.buckets[i+1]
		var mid float64
		switch {
		case math.IsInf(lo, 0) && math.IsInf(hi, 0):
			mid = 0
		case math.IsInf(lo, 0):
			mid = hi
		case math.IsInf(hi, 0):
			mid = lo
		default:
			mid = (lo + hi) / 2
		}
		sum += float64(c) * mid
	}
	return sum / float64(n)
}

// shareAbove returns the share of samples in buckets that lie wholly above
// bound. The bucket straddling the bound is not counted, so the share is a
// lower estimate by at most one bucket (about 25% of the bound's width).
func (d *histDelta) shareAbove(bound float64) float64 {
	n := d.total()
	if n == 0 {
		return 0
	}
	var above uint64
	for i, c := range d.counts {
		if d.buckets[i] >= bound {
			above += c
		}
	}
	return float64(above) / float64(n)
}

// quantiles is the order of stats in metric.Stats that come from quantiles.
var quantiles = []struct {
	stat string
	q    float64
}{{"p50", 0.50}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}}

// logHistogram records durations (seconds) in fixed logarithmic buckets, so
// its memory does not grow with the run's length. Buckets are
// logGrowth-wide (2.5% relative error) from logMin up; max and mean are
// exact.
type logHistogram struct {
	counts [logBuckets]uint64
	n      uint64
	sum    float64
	maxV   float64
}

const (
	logMin     = 1e-6 // 1µs: anything shorter counts as on time
	logGrowth  = 1.05
	logBuckets = 480 // 1µs * 1.05^480 ≈ 1.5e4 s: beyond any tick
)

var logGrowthLn = math.Log(logGrowth)

func (h *logHistogram) record(v float64) {
	if v < 0 {
		v = 0
	}
	h.n++
	h.sum += v
	h.maxV = max(h.maxV, v)
	h.counts[logIndex(v)]++
}

func logIndex(v float64) int {
	if v <= logMin {
		return 0
	}
	i := int(math.Log(v/logMin)/logGrowthLn) + 1
	return min(i, logBuckets-1)
}

// logUpper is the upper edge of bucket i.
func logUpper(i int) float64 {
	if i == 0 {
		return logMin
	}
	return logMin * math.Pow(logGrowth, float64(i))
}

func (h *logHistogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			// Never report more than was observed.
			return min(logUpper(i), h.maxV)
		}
	}
	return h.maxV
}

func (h *logHistogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// shareAbove counts samples in buckets whose lower edge is at or above
// bound; with 5% buckets the error is small next to a tick's jitter.
func (h *logHistogram) shareAbove(bound float64) float64 {
	if h.n == 0 {
		return 0
	}
	var above uint64
	for i := logIndex(bound); i < logBuckets; i++ {
		above += h.counts[i]
	}
	// logIndex(bound) is the bucket containing bound; its lower part is
	// below bound, so drop it unless bound is exactly its lower edge.
	if i := logIndex(bound); i > 0 && logUpper(i-1) < bound {
		above -= h.counts[i]
	}
	return float64(above) / float64(h.n)
}
