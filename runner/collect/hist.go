package collect

import (
	"math"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sqsperf/sqsperf/runner/metric"
)

const (
	// Two significant digits keep every quantile within 1/128 (0.8%) of
	// the true value, far inside the 25-30% tolerances of the stage
	// metrics, in about 42 KB per histogram whatever the count.
	histDigits = 2
	// histMax is the largest duration tracked; a larger one (a message
	// stuck for over a day) is recorded as histMax and still counted.
	histMax = int64(27 * time.Hour)
)

// durationHist is a concurrency-safe duration histogram of fixed size. The
// exact maximum and sum are kept beside it because the histogram only
// knows values to within its bucket width.
type durationHist struct {
	mu    sync.Mutex
	h     *hdrhistogram.Histogram
	sum   float64 // nanoseconds
	max   int64
	count int64
}

func newDurationHist() *durationHist {
	return &durationHist{h: hdrhistogram.New(1, histMax, histDigits)}
}

// record adds one duration. Negative durations come from clocks that do
// not agree (SQS's millisecond SentTimestamp against our nanosecond
// clock, or another machine's clock): they are recorded as zero rather
// than dropped, so that counts stay true.
func (d *durationHist) record(v time.Duration) {
	ns := max(int64(v), 0)
	ns = min(ns, histMax)
	d.mu.Lock()
	_ = d.h.RecordValue(ns) // cannot fail: ns is within [0, histMax]
	d.sum += float64(ns)
	d.max = max(d.max, ns)
	d.count++
	d.mu.Unlock()
}

// between records to.Sub(from) when both ends are known.
func (d *durationHist) between(from, to time.Time) {
	if from.IsZero() || to.IsZero() {
		return
	}
	d.record(to.Sub(from))
}

// addStats writes name.p50 ... name.mean in seconds. An empty histogram
// writes nothing: "not measured" must not read as "zero".
func (d *durationHist) addStats(into map[string]float64, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.count == 0 {
		return
	}
	for _, st := range metric.Stats {
		var ns float64
		switch st {
		case "p50":
			ns = float64(d.h.ValueAtQuantile(50))
		case "p90":
			ns = float64(d.h.ValueAtQuantile(90))
		case "p95":
			ns = float64(d.h.ValueAtQuantile(95))
		case "p99":
			ns = float64(d.h.ValueAtQuantile(99))
		case "max":
			ns = float64(d.max)
		case "mean":
			ns = d.sum / float64(d.count)
		default:
			ns = math.NaN()
		}
		if math.IsNaN(ns) {
			continue // a statistic added to metric.Stats that this code does not know yet
		}
		// A quantile reported as the bucket's upper edge can exceed the
		// exact maximum; never report p99 > max.
		into[metric.Key(name, st)] = min(ns, float64(d.max)) / 1e9
	}
}
