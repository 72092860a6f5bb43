// Package probe samples the Go runtime and the SQS queues while a scenario
// runs, and turns the samples into the metrics the verdict judges: the Go
// answers to Clinic Doctor (scheduler latency, tick lag), Heap Profiler
// (post-GC live heap per batch, its slope) and the queue monitor (depths,
// drain rate).
//
// The probes read runtime/metrics with preallocated samples and never call
// runtime.ReadMemStats on a periodic path: ReadMemStats stops the world, and
// a probe that stalls the service would measure itself.
package probe

import (
	"context"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	moremath "github.com/aclements/go-moremath/stats"
	"github.com/montanaflynn/stats"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
)

// Defaults for Config's zero values.
const (
	DefaultInterval      = 250 * time.Millisecond
	DefaultTickInterval  = 10 * time.Millisecond
	DefaultQueueInterval = time.Second
)

// Config says what to sample and how often.
type Config struct {
	// Interval is how often the runtime is sampled for the series; the
	// run-level metrics come from the difference between Start and Stop and
	// do not depend on it. Default 250ms.
	Interval time.Duration
	// TickInterval is the period of the tick-lag probe. Default 10ms, the
	// resolution the original guide's event-loop delay bands assume.
	TickInterval time.Duration
	// Queues are the work queues, name -> URL, sampled every QueueInterval.
	// They count toward queue.depth.max and queue.drain_rate.
	Queues map[string]string
	// OtherQueues (such as the dead-letter queue) are sampled into series
	// only: their depth is not work waiting to be done.
	OtherQueues map[string]string
	// QueueInterval is the queue sampling period. Default 1s.
	QueueInterval time.Duration
	// SQS reads queue attributes; with nil no queue is sampled.
	SQS QueueAttributesAPI
}

// Summary is what a probe measured.
type Summary struct {
	// Metrics by flat key (metric.Key), in base units.
	Metrics map[string]float64
	Series  []result.Series
	Batches []result.BatchPoint
	// Errors are sampling problems (an unreachable queue), deduplicated
	// and capped, for result.Run.Errors.
	Errors []string
}

// Runtime metric names read by the probe.
const (
	nameSchedLatencies = "/sched/latencies:seconds"
	nameGCPauses       = "/sched/pauses/total/gc:seconds"
	nameGCCycles       = "/gc/cycles/total:gc-cycles"
	nameGCCPU          = "/cpu/classes/gc/total:cpu-seconds"
	nameTotalCPU       = "/cpu/classes/total:cpu-seconds"
	nameIdleCPU        = "/cpu/classes/idle:cpu-seconds"
	nameHeapLive       = "/gc/heap/live:bytes"
	nameHeapInUse      = "/memory/classes/heap/objects:bytes"
	nameGoroutines     = "/sched/goroutines:goroutines"
)

// Indexes into a reading's samples; the order of sampleNames.
const (
	iSched = iota
	iPauses
	iCycles
	iGCCPU
	iTotalCPU
	iIdleCPU
	iHeapLive
	iHeapInUse
	iGoroutines
	nSamples
)

var sampleNames = [nSamples]string{
	nameSchedLatencies, nameGCPauses, nameGCCycles, nameGCCPU, nameTotalCPU,
	nameIdleCPU, nameHeapLive, nameHeapInUse, nameGoroutines,
}

// reading is one runtime/metrics.Read. Histograms are copied out of the
// samples because Read reuses their memory on the next call.
type reading struct {
	samples []metrics.Sample
	sched   metrics.Float64Histogram
	pauses  metrics.Float64Histogram
}

func newReading() *reading {
	r := &reading{samples: make([]metrics.Sample, nSamples)}
	for i, n := range sampleNames {
		r.samples[i].Name = n
	}
	return r
}

func (r *reading) read() {
	metrics.Read(r.samples)
	copyHist(&r.sched, r.samples[iSched].Value)
	copyHist(&r.pauses, r.samples[iPauses].Value)
}

func copyHist(dst *metrics.Float64Histogram, v metrics.Value) {
	if v.Kind() != metrics.KindFloat64Histogram {
		return
	}
	h := v.Float64Histogram()
	if cap(dst.Counts) < len(h.Counts) {
		dst.Counts = make([]uint64, len(h.Counts))
	}
	dst.Counts = dst.Counts[:len(h.Counts)]
	copy(dst.Counts, h.Counts)
	dst.Buckets = h.Buckets // immutable for the process's life
}

func (r *reading) uint(i int) float64 {
	if r.samples[i].Value.Kind() == metrics.KindUint64 {
		return float64(r.samples[i].Value.Uint64())
	}
	return 0
}

func (r *reading) float(i int) float64 {
	if r.samples[i].Value.Kind() == metrics.KindFloat64 {
		return r.samples[i].Value.Float64()
	}
	return 0
}

// Probe samples until Stop.
type Probe struct {
	cfg    Config
	start  time.Time
	cancel context.CancelFunc
	wg     sync.WaitGroup

	first *reading // at Start: the run-level baseline

	// Owned by the runtime sampler goroutine until Stop.
	prev, cur              *reading
	schedDelta, pauseDelta histDelta
	runtimeSeries          []*series
	maxHeapLive, maxInUse  float64
	maxGoroutines          float64

	// Tick lag: the histogram is owned by the tick goroutine until Stop;
	// the interval max is handed to the sampler through an atomic.
	tickHist        logHistogram
	tickIntervalMax atomic.Int64 // nanoseconds

	queues *queueSampler

	batchMu   sync.Mutex
	batchRead []metrics.Sample
	batches   []result.BatchPoint

	stopOnce sync.Once
	summary  Summary
}

// Start begins sampling. It returns at once; the probe runs until Stop or
// until ctx is done (Stop must still be called to collect the summary).
func Start(ctx context.Context, cfg Config) *Probe {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = DefaultTickInterval
	}
	if cfg.QueueInterval <= 0 {
		cfg.QueueInterval = DefaultQueueInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Probe{
		cfg:    cfg,
		start:  time.Now(),
		cancel: cancel,
		first:  newReading(),
		prev:   newReading(),
		cur:    newReading(),
		batchRead: []metrics.Sample{
			{Name: nameHeapLive}, {Name: nameGoroutines},
		},
	}
	p.first.read()
	p.prev.read()
	p.observeGauges(p.first)
	p.runtimeSeries = []*series{
		newSeries("sched.latency.p50", metric.Duration.String(), mergeMax),
		newSeries("sched.latency.p99", metric.Duration.String(), mergeMax),
		newSeries("tick.lag", metric.Duration.String(), mergeMax),
		newSeries("gc.cpu_fraction", metric.Ratio.String(), mergeMax),
		newSeries("heap.live", metric.Bytes.String(), mergeMax),
		newSeries("heap.inuse", metric.Bytes.String(), mergeMax),
		newSeries("goroutines", metric.Count.String(), mergeMax),
	}
	if cfg.SQS != nil && len(cfg.Queues)+len(cfg.OtherQueues) > 0 {
		p.queues = newQueueSampler(cfg, p.start)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.queues.run(ctx)
		}()
	}
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.sampleRuntime(ctx)
	}()
	go func() {
		defer p.wg.Done()
		p.measureTickLag(ctx)
	}()
	return p
}

func (p *Probe) since() float64 { return time.Since(p.start).Seconds() }

func (p *Probe) sampleRuntime(ctx context.Context) {
	ticker := time.NewTicker(p.cfg.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			p.sampleOnce()
		}
	}
}

// sampleOnce reads the runtime once and appends one point per series.
func (p *Probe) sampleOnce() {
	p.cur.read()
	t := p.since()
	p.schedDelta.subtract(&p.cur.sched, &p.prev.sched)
	s := p.runtimeSeries
	if p.schedDelta.total() > 0 {
		s[0].add(t, p.schedDelta.quantile(0.50))
		s[1].add(t, p.schedDelta.quantile(0.99))
	}
	s[2].add(t, time.Duration(p.tickIntervalMax.Swap(0)).Seconds())
	s[3].add(t, gcCPUFraction(p.cur, p.prev))
	s[4].add(t, p.cur.uint(iHeapLive))
	s[5].add(t, p.cur.uint(iHeapInUse))
	s[6].add(t, p.cur.uint(iGoroutines))
	p.observeGauges(p.cur)
	p.prev, p.cur = p.cur, p.prev
}

func (p *Probe) observeGauges(r *reading) {
	p.maxHeapLive = max(p.maxHeapLive, r.uint(iHeapLive))
	p.maxInUse = max(p.maxInUse, r.uint(iHeapInUse))
	p.maxGoroutines = max(p.maxGoroutines, r.uint(iGoroutines))
}

// gcCPUFraction is GC CPU over the CPU the process actually used. The
// runtime's total class is GOMAXPROCS × wall time and includes idle
// capacity; dividing by it would make GC look cheap whenever the service is
// idle, which is not what "share of the process's CPU" means.
//
// The runtime refreshes the /cpu/classes figures only at GC stop-the-world
// points, so a difference spans from the last GC before one reading to the
// last GC before the other: an interval without a GC reads as zero, and
// its GC work lands in the interval of the next cycle.
func gcCPUFraction(cur, prev *reading) float64 {
	gc := cur.float(iGCCPU) - prev.float(iGCCPU)
	used := (cur.float(iTotalCPU) - prev.float(iTotalCPU)) - (cur.float(iIdleCPU) - prev.float(iIdleCPU))
	if used <= 0 || gc <= 0 {
		return 0
	}
	return min(gc/used, 1)
}

// measureTickLag expects a wake-up every TickInterval and records how late
// each one is: the direct analogue of Node's event-loop delay. The schedule
// is absolute (start + k×interval) so lateness does not accumulate; after a
// stall longer than one interval the schedule skips ahead instead of
// recording the backlog as a burst of late ticks.
func (p *Probe) measureTickLag(ctx context.Context) {
	interval := p.cfg.TickInterval
	next := time.Now().Add(interval)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			// The channel's value is when the runtime fired the timer; the
			// lag that matters includes waiting for a P after that, so read
			// the clock once this goroutine actually runs.
			now := time.Now()
			lag := max(now.Sub(next), 0)
			p.tickHist.record(lag.Seconds())
			for {
				cur := p.tickIntervalMax.Load()
				if int64(lag) <= cur || p.tickIntervalMax.CompareAndSwap(cur, int64(lag)) {
					break
				}
			}
			next = next.Add(interval)
			if !next.After(now) {
				next = now.Add(interval)
			}
			timer.Reset(time.Until(next))
		}
	}
}

// MarkBatch records the quiet point after load batch number batch has
// drained: it forces a full GC, so the live heap it reads is the post-GC
// baseline, and counts goroutines. Call it from the runner's goroutine.
func (p *Probe) MarkBatch(batch int) {
	runtime.GC()
	p.batchMu.Lock()
	defer p.batchMu.Unlock()
	metrics.Read(p.batchRead)
	bp := result.BatchPoint{Batch: batch, T: p.since()}
	if v := p.batchRead[0].Value; v.Kind() == metrics.KindUint64 {
		bp.HeapLive = float64(v.Uint64())
	}
	if v := p.batchRead[1].Value; v.Kind() == metrics.KindUint64 {
		bp.Goroutines = float64(v.Uint64())
	}
	p.batches = append(p.batches, bp)
}

// Stop ends sampling, waits for every probe goroutine to exit, and returns
// the summary. Later calls return the same summary.
func (p *Probe) Stop() Summary {
	p.stopOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
		p.summary = p.summarize()
	})
	return p.summary
}

func (p *Probe) summarize() Summary {
	last := newReading()
	last.read()
	p.observeGauges(last)
	m := map[string]float64{}

	var d histDelta
	d.subtract(&last.sched, &p.first.sched)
	putDistribution(m, metric.SchedLatency, &d)
	m[metric.SchedLatencyOver1ms] = d.shareAbove(1e-3)
	m[metric.SchedLatencyOver10ms] = d.shareAbove(10e-3)
	m[metric.SchedLatencyOver100ms] = d.shareAbove(100e-3)

	d.subtract(&last.pauses, &p.first.pauses)
	putDistribution(m, metric.GCPause, &d)
	m[metric.GCCycles] = last.uint(iCycles) - p.first.uint(iCycles)
	m[metric.GCCPUFraction] = gcCPUFraction(last, p.first)

	h := &p.tickHist
	for _, q := range quantiles {
		m[metric.Key(metric.TickLag, q.stat)] = h.quantile(q.q)
	}
	m[metric.Key(metric.TickLag, "max")] = h.maxV
	m[metric.Key(metric.TickLag, "mean")] = h.mean()
	m[metric.TickLagOver10ms] = h.shareAbove(10e-3)
	m[metric.TickLagOver100ms] = h.shareAbove(100e-3)

	p.batchMu.Lock()
	batches := append([]result.BatchPoint(nil), p.batches...)
	p.batchMu.Unlock()
	for _, b := range batches {
		p.maxHeapLive = max(p.maxHeapLive, b.HeapLive)
		p.maxGoroutines = max(p.maxGoroutines, b.Goroutines)
	}
	m[metric.HeapLiveMax] = p.maxHeapLive
	m[metric.HeapInuseMax] = p.maxInUse
	m[metric.GoroutinesMax] = p.maxGoroutines
	if fit, ok := fitBatches(batches, func(b result.BatchPoint) float64 { return b.HeapLive }); ok {
		m[metric.HeapLiveSlope] = fit.slope
		if fit.n >= 3 {
			m[metric.HeapSlopeLower] = fit.lower
		}
	}
	if slope, ok := batchSlope(batches, func(b result.BatchPoint) float64 { return b.Goroutines }); ok {
		m[metric.GoroutinesSlope] = slope
	}
	if len(batches) >= 2 && batches[0].HeapLive > 0 {
		m[metric.HeapLiveGrowth] = batches[len(batches)-1].HeapLive/batches[0].HeapLive - 1
	}

	sum := Summary{Metrics: m, Batches: batches}
	for _, s := range p.runtimeSeries {
		sum.Series = append(sum.Series, s.result())
	}
	if p.queues != nil {
		p.queues.summarize(&sum)
	}
	return sum
}

func putDistribution(m map[string]float64, name string, d *histDelta) {
	for _, q := range quantiles {
		m[metric.Key(name, q.stat)] = d.quantile(q.q)
	}
	m[metric.Key(name, "max")] = d.max()
	m[metric.Key(name, "mean")] = d.mean()
}

// batchSlope fits a least-squares line through the quiet points, so one
// noisy batch does not decide whether memory climbs, and returns its
// gradient per batch.
func batchSlope(batches []result.BatchPoint, value func(result.BatchPoint) float64) (float64, bool) {
	fit, ok := fitBatches(batches, value)
	return fit.slope, ok
}

// slopeFit is a least-squares line's gradient with the lower bound of its
// two-sided 95% confidence interval.
type slopeFit struct {
	slope, lower float64
	n            int
}

// slopeConfidence is the confidence level of slopeFit.lower.
const slopeConfidence = 0.95

// fitBatches fits the quiet points and bounds the gradient from below: a
// leak is declared only when even the lower bound of the interval climbs
// (memory.yaml), so one noisy quiet point cannot raise a false alarm and
// a fixed bound need not be set far above the noise. The interval is
// Student's t on the residuals (n-2 degrees of freedom).
func fitBatches(batches []result.BatchPoint, value func(result.BatchPoint) float64) (slopeFit, bool) {
	n := len(batches)
	if n < 2 {
		return slopeFit{}, false
	}
	data := make(stats.Series, n)
	var mx float64
	for i, b := range batches {
		data[i] = stats.Coordinate{X: float64(b.Batch), Y: value(b)}
		mx += data[i].X
	}
	mx /= float64(n)
	line, err := stats.LinearRegression(data)
	if err != nil || len(line) < 2 {
		return slopeFit{}, false
	}
	first, last := line[0], line[n-1]
	if last.X == first.X {
		return slopeFit{}, false
	}
	fit := slopeFit{slope: (last.Y - first.Y) / (last.X - first.X), n: n}
	fit.lower = fit.slope
	if n >= 3 {
		var sxx, sse float64
		for i, c := range data {
			sxx += (c.X - mx) * (c.X - mx)
			r := c.Y - line[i].Y
			sse += r * r
		}
		if sxx > 0 {
			se := math.Sqrt(sse / float64(n-2) / sxx)
			t := moremath.InvCDF(moremath.TDist{V: float64(n - 2)})(1 - (1-slopeConfidence)/2)
			fit.lower = fit.slope - t*se
		}
	}
	return fit, true
}
