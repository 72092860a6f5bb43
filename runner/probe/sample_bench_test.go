package probe

import (
	"context"
	"testing"
)

// BenchmarkSampleOnce is the cost of one runtime sample (every 250ms by
// default); it must not allocate.
func BenchmarkSampleOnce(b *testing.B) {
	p := Start(context.Background(), Config{Interval: 1 << 62})
	defer p.Stop()
	p.sampleOnce() // the first read sizes the histogram copies
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.sampleOnce()
	}
}
