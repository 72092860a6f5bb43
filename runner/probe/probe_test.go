package probe

import (
	"context"
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// probeMetricNames are every metric the probe owns in the registry.
var probeMetricNames = []string{
	"sched.latency", "sched.latency.over_1ms", "sched.latency.over_10ms", "sched.latency.over_100ms",
	"tick.lag", "tick.lag.over_10ms", "tick.lag.over_100ms",
	"gc.pause", "gc.cycles", "gc.cpu_fraction",
	"heap.live.max", "heap.live.slope", "heap.live.growth", "heap.inuse.max",
	"goroutines.max", "goroutines.slope",
	"queue.depth.max", "queue.drain_rate",
}

func TestStopReportsEveryRegisteredProbeMetric(t *testing.T) {
	api := &scriptedQueue{depths: []Depth{{Visible: 5}, {Visible: 3, InFlight: 1}, {Visible: 0}}}
	p := Start(t.Context(), Config{
		Interval: 5 * time.Millisecond, TickInterval: time.Millisecond, QueueInterval: 5 * time.Millisecond,
		Queues: map[string]string{"work": "http://q/work"}, SQS: api,
	})
	var sink [][]byte
	for b := 1; b <= 3; b++ {
		for range 1000 {
			sink = append(sink, make([]byte, 1024))
		}
		p.MarkBatch(b)
	}
	require.Eventually(t, func() bool { return api.calls() >= 3 }, 10*time.Second, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond) // let a few runtime samples land
	sum := p.Stop()
	runtime.KeepAlive(sink)

	for _, name := range probeMetricNames {
		d, ok := metric.Lookup(name)
		require.True(t, ok, name)
		if d.Kind == metric.Distribution {
			for _, st := range metric.Stats {
				v, ok := sum.Metrics[metric.Key(name, st)]
				assert.True(t, ok, "missing %s", metric.Key(name, st))
				assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", metric.Key(name, st), v)
			}
			continue
		}
		v, ok := sum.Metrics[name]
		assert.True(t, ok, "missing %s", name)
		assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", name, v)
	}
	for key := range sum.Metrics {
		_, _, ok := metric.Resolve(key)
		assert.True(t, ok, "key %q is not in the metric registry", key)
	}
	assert.Len(t, sum.Batches, 3)
	assert.Greater(t, sum.Metrics["tick.lag.max"], 0.0, "a 1ms ticker is never exactly on time")
	assert.GreaterOrEqual(t, sum.Metrics["gc.cycles"], 3.0, "MarkBatch forces a GC each time")
	assert.Equal(t, 5.0, sum.Metrics["queue.depth.max"])

	names := map[string]bool{}
	for _, s := range sum.Series {
		names[s.Name] = true
		assert.Equal(t, len(s.T), len(s.Value), s.Name)
	}
	for _, n := range []string{"tick.lag", "heap.live", "goroutines", "queue.work.visible", "queue.work.in_flight", "queue.work.delayed"} {
		assert.True(t, names[n], "series %s missing (have %v)", n, names)
	}
	assert.Equal(t, sum, p.Stop(), "Stop is idempotent")
}

// A workload that keeps a fixed amount per batch must show that amount as
// the slope of the post-GC live heap: the post-GC baseline is exact, not
// a sample of a sawtooth.
func TestMarkBatchSlopeMeasuresRetainedBytes(t *testing.T) {
	p := Start(t.Context(), Config{})
	const perBatch = 4 << 20
	var kept [][]byte
	for b := 1; b <= 4; b++ {
		kept = append(kept, make([]byte, perBatch))
		for range 2000 { // garbage that must not count
			_ = make([]byte, 512)
		}
		p.MarkBatch(b)
	}
	sum := p.Stop()
	runtime.KeepAlive(kept)
	assert.InDelta(t, perBatch, sum.Metrics["heap.live.slope"], perBatch*0.2)
	assert.Greater(t, sum.Metrics["heap.live.growth"], 0.5)
	assert.InDelta(t, 0, sum.Metrics["goroutines.slope"], 1)
	for i, b := range sum.Batches {
		assert.Equal(t, i+1, b.Batch)
		assert.Greater(t, b.Goroutines, 0.0)
	}
}

func TestStopWithoutBatchesOmitsSlopes(t *testing.T) {
	sum := Start(t.Context(), Config{}).Stop()
	assert.NotContains(t, sum.Metrics, "heap.live.slope")
	assert.NotContains(t, sum.Metrics, "heap.live.growth")
	assert.NotContains(t, sum.Metrics, "queue.depth.max", "no queues, no queue metrics")
	assert.Contains(t, sum.Metrics, "sched.latency.p99")
}

func TestCancelledContextStopsProbe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := Start(ctx, Config{})
	cancel()
	sum := p.Stop()
	assert.Contains(t, sum.Metrics, "goroutines.max")
}

// Far more CPU-bound goroutines than Ps make every wake-up wait for a time
// slice (10ms each): the tick probe and the scheduler histogram must see it.
func TestTickLagSeesCPUStarvation(t *testing.T) {
	if testing.Short() {
		t.Skip("spins the CPU")
	}
	p := Start(t.Context(), Config{TickInterval: 5 * time.Millisecond})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for {
				select {
				case <-stop:
					_ = x
					return
				default:
					for i := range 10000 {
						x += i
					}
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	sum := p.Stop()
	assert.Greater(t, sum.Metrics["tick.lag.max"], 10e-3)
	assert.Greater(t, sum.Metrics["sched.latency.over_1ms"], 0.0)
}

func TestLogHistogramQuantiles(t *testing.T) {
	var h logHistogram
	for i := 1; i <= 1000; i++ {
		h.record(float64(i) * 1e-4) // 0.1ms .. 100ms
	}
	assert.InEpsilon(t, 50e-3, h.quantile(0.5), 0.05)
	assert.InEpsilon(t, 99e-3, h.quantile(0.99), 0.05)
	assert.Equal(t, 100e-3, h.maxV)
	assert.InEpsilon(t, 50.05e-3, h.mean(), 1e-9)
	assert.InDelta(t, 0.90, h.shareAbove(10e-3), 0.01)
	assert.InDelta(t, 0.0, h.shareAbove(200e-3), 1e-9)
	h.record(-1) // clock went backwards: counts as on time, never panics
	h.record(1e9)
	assert.Equal(t, uint64(1002), h.n)

	var empty logHistogram
	assert.Zero(t, empty.quantile(0.99))
	assert.Zero(t, empty.mean())
	assert.Zero(t, empty.shareAbove(1))
}

func TestHistDeltaUsesBucketEdges(t *testing.T) {
	buckets := []float64{math.Inf(-1), 0, 1e-3, 10e-3, 100e-3, math.Inf(1)}
	prev := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{0, 10, 5, 0, 0}}
	cur := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{0, 100, 5, 8, 2}}
	var d histDelta
	d.subtract(cur, prev)
	assert.Equal(t, []uint64{0, 90, 0, 8, 2}, d.counts)
	assert.Equal(t, uint64(100), d.total())
	assert.Equal(t, 1e-3, d.quantile(0.5))
	assert.Equal(t, 100e-3, d.quantile(0.95))
	assert.Equal(t, 100e-3, d.max(), "open top bucket reports its lower edge")
	assert.InDelta(t, 0.10, d.shareAbove(1e-3), 1e-9)
	assert.InDelta(t, 0.02, d.shareAbove(100e-3), 1e-9)

	d.subtract(prev, cur) // counters never go back; clamp instead of wrapping
	assert.Zero(t, d.total())
	assert.Zero(t, d.quantile(0.99))
	assert.Zero(t, d.mean())
}

func TestSeriesStaysBoundedAndKeepsPeaks(t *testing.T) {
	s := newSeries("x", "count", mergeMax)
	const n = 10 * maxSeriesPoints
	for i := range n {
		v := 1.0
		if i == n/2 {
			v = 1000 // one stall in the middle must survive downsampling
		}
		s.add(float64(i), v)
	}
	r := s.result()
	assert.LessOrEqual(t, len(r.T), maxSeriesPoints+1)
	assert.Greater(t, len(r.T), maxSeriesPoints/4)
	assert.Equal(t, 0.0, r.T[0])
	peak := 0.0
	for i, v := range r.Value {
		peak = max(peak, v)
		if i > 0 {
			assert.Greater(t, r.T[i], r.T[i-1], "time stays ordered")
		}
	}
	assert.Equal(t, 1000.0, peak)

	mean := newSeries("y", "count", mergeMean)
	for i := range 3 * maxSeriesPoints {
		mean.add(float64(i), float64(i%2)) // alternating 0,1
	}
	for _, v := range mean.result().Value[:maxSeriesPoints/2] {
		assert.InDelta(t, 0.5, v, 1e-9)
	}
}

func TestQueueSamplerDrainRate(t *testing.T) {
	api := &scriptedQueue{depths: []Depth{
		{Visible: 100}, {Visible: 60, InFlight: 20}, {Visible: 40, InFlight: 10}, {Visible: 20, InFlight: 10, Delayed: 10}, {}, {},
	}}
	start := time.Unix(1000, 0)
	clock := start
	q := newQueueSampler(Config{SQS: api, QueueInterval: time.Second,
		Queues:      map[string]string{"work": "u1"},
		OtherQueues: map[string]string{"dlq": "u2"},
	}, start)
	q.now = func() time.Time { return clock }
	for range 6 {
		q.sample(t.Context())
		clock = clock.Add(2 * time.Second)
	}
	sum := Summary{Metrics: map[string]float64{}}
	q.summarize(&sum)
	// Work depth: 100, 80, 50, 40, 0, 0 every 2s -> decreases 10, 15, 5, 20 per second.
	assert.Equal(t, 100.0, sum.Metrics["queue.depth.max"])
	assert.InDelta(t, 12.5, sum.Metrics["queue.drain_rate"], 1e-9)
	byName := map[string][]float64{}
	for _, s := range sum.Series {
		byName[s.Name] = s.Value
	}
	assert.Equal(t, []float64{100, 60, 40, 20, 0, 0}, byName["queue.work.visible"])
	assert.Equal(t, []float64{0, 20, 10, 10, 0, 0}, byName["queue.work.in_flight"])
	assert.Contains(t, byName, "queue.dlq.visible", "other queues are charted")
	assert.Empty(t, sum.Errors)
}

func TestQueueSamplerReportsErrorsAndBadValues(t *testing.T) {
	api := &failingQueue{}
	q := newQueueSampler(Config{SQS: api, QueueInterval: time.Second, Queues: map[string]string{"work": "u"}}, time.Now())
	for range 3 {
		q.sample(t.Context())
	}
	api.value = "lots"
	q.sample(t.Context())
	sum := Summary{Metrics: map[string]float64{}}
	q.summarize(&sum)
	require.Len(t, sum.Errors, 2)
	assert.Contains(t, sum.Errors[0], "work: endpoint down (3 times)")
	assert.Contains(t, sum.Errors[1], `ApproximateNumberOfMessages = "lots" is not a whole number`)
	assert.NotContains(t, sum.Metrics, "queue.drain_rate", "no drain measured from failed samples")
}

// scriptedQueue answers GetQueueAttributes from a list of depths, repeating
// the last one.
type scriptedQueue struct {
	mu     sync.Mutex
	depths []Depth
	n      int
}

func (s *scriptedQueue) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *scriptedQueue) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d Depth
	if aws.ToString(in.QueueUrl) != "u2" { // the DLQ stays empty
		d = s.depths[min(s.n, len(s.depths)-1)]
		s.n++
	}
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"ApproximateNumberOfMessages":           strconv.FormatInt(d.Visible, 10),
		"ApproximateNumberOfMessagesNotVisible": strconv.FormatInt(d.InFlight, 10),
		"ApproximateNumberOfMessagesDelayed":    strconv.FormatInt(d.Delayed, 10),
	}}, nil
}

type failingQueue struct{ value string }

func (f *failingQueue) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if f.value != "" {
		return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"ApproximateNumberOfMessages": f.value}}, nil
	}
	return nil, errors.New("endpoint down")
}

// The lower confidence bound of the heap slope separates a steady climb
// from noise around a flat line, which a point estimate cannot.
func TestFitBatchesLowerBound(t *testing.T) {
	noise := []float64{3000, -5000, 8000, -2000, 1000, -7000, 4000, -1000, 6000, -4000}
	flat := make([]result.BatchPoint, len(noise))
	leak := make([]result.BatchPoint, len(noise))
	for i, n := range noise {
		flat[i] = result.BatchPoint{Batch: i, HeapLive: 3e6 + n}
		leak[i] = result.BatchPoint{Batch: i, HeapLive: 3e6 + n + float64(i)*80*1024}
	}
	f, ok := fitBatches(flat, func(b result.BatchPoint) float64 { return b.HeapLive })
	require.True(t, ok)
	assert.Less(t, f.lower, f.slope)
	assert.Less(t, f.lower, 0.0, "noise around a flat line must not bound the slope above zero")
	l, ok := fitBatches(leak, func(b result.BatchPoint) float64 { return b.HeapLive })
	require.True(t, ok)
	assert.InDelta(t, 80*1024, l.slope, 2000)
	assert.Greater(t, l.lower, 70*1024.0, "an 80 KiB-per-batch climb is bounded well above 16 KiB")
	// Two points give a slope but no interval.
	two, ok := fitBatches(leak[:2], func(b result.BatchPoint) float64 { return b.HeapLive })
	require.True(t, ok)
	assert.Equal(t, two.slope, two.lower)
}
