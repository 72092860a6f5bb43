package probe

import (
	"testing"
)

// BenchmarkSampleOnce is the cost of one runtime sample (every 250ms by
// default); it must not allocate.
func BenchmarkSampleOnce(b *testing.B) {
	p := Start(b.Context(), Config{Interval: 1 << 62})
	defer p.Stop()
	p.sampleOnce() // the first read sizes the histogram copies
	b.ReportAllocs()
	for b.Loop() {
		p.sampleOnce()
	}
}
