package probe

import (
	"context"
	"crypto/sha256"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// workload is a fixed amount of CPU and allocation spread over GOMAXPROCS
// goroutines: hashing for CPU, short-lived buffers and a little retained
// structure for the GC, so the probes' cost shows against both.
func workload(units int) {
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			buf := make([]byte, 4096)
			for i := w; i < units; i += procs {
				b := make([]byte, 512+i%512)
				b[0] = byte(i)
				sum := sha256.Sum256(append(buf[:64], b...))
				if sum[0] == 0 {
					keep = append(keep, b)
				}
				if len(keep) > 64 {
					keep = keep[:0]
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkProbeOverhead runs the same workload with the probes off and on,
// interleaved in one run (off-on-on-off, ...) so both sides see the same
// machine noise, and reports throughput with probes over without as
// "ratio" (median over the pairs; target >= 0.98). The probe runs at its defaults plus a queue-free
// config, as the runner uses it.
//
//	go test -run '^$' -bench ProbeOverhead -benchtime 30x -count 3 ./runner/probe
func BenchmarkProbeOverhead(b *testing.B) {
	const units = 200000 // about a quarter second per side here: at least one runtime sample and 25 ticks
	workload(units / 10) // warm up the allocator and caches
	var ratios []float64
	var on, off time.Duration
	timeOff := func() time.Duration {
		start := time.Now()
		workload(units)
		return time.Since(start)
	}
	timeOn := func() time.Duration {
		p := Start(context.Background(), benchConfig)
		start := time.Now()
		workload(units)
		d := time.Since(start)
		p.Stop()
		return d
	}
	b.ResetTimer()
	for i := range b.N {
		var a, c time.Duration
		if i%2 == 0 {
			a = timeOff()
			c = timeOn()
		} else {
			c = timeOn()
			a = timeOff()
		}
		off += a
		on += c
		ratios = append(ratios, a.Seconds()/c.Seconds())
	}
	sort.Float64s(ratios)
	// The median of the pairs resists a burst of outside load that hits
	// one side only; the ratio of totals is kept for comparison.
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.ReportMetric(off.Seconds()/on.Seconds(), "ratio-total")
	b.ReportMetric(float64(units)*float64(b.N)/on.Seconds(), "units/s-probed")
}

// benchConfig is what the runner uses: the defaults (250ms runtime samples, 10ms ticks).
var benchConfig = Config{}
