package collect

import (
	"math"
	"runtime"
	"strings"
	"sync"
)

// Owner is whose code asked for an allocation.
type Owner string

// The owners an allocation site is attributed to.
const (
	// OwnerConsumer is the code under test: the service in service/, a
	// team's own consumer, and the standard library when they call it.
	OwnerConsumer Owner = "consumer"
	// OwnerSDK is the AWS SDK the consumer's SQS client is built from.
	OwnerSDK Owner = "sdk"
	// OwnerHarness is the runner itself: the load driver, the samplers,
	// the request counter and the fault injector.
	OwnerHarness Owner = "harness"
	// OwnerStd is the standard library (and the runtime) called from no
	// known code at all: net/http's connection goroutines, the GC.
	OwnerStd Owner = "std"
)

// AllocSampleRate is the memory profiler's sampling rate the runner sets
// (runtime.MemProfileRate, bytes between samples on average). Each sample
// walks the allocating stack, and the SDK's are deep (its middleware), so
// the rate is a trade: at 4 KiB stress's cpu.per_message read +12% beside
// the same code at the runtime's 512 KiB; at 16 KiB a run still holds
// about 300 samples of the service's own bytes (2,000 tasks of 2.4 KiB),
// a sampling noise near 6% per run, for a few percent of CPU
// (BenchmarkAllocSampling).
const AllocSampleRate = 16 << 10

var sampling sync.Once

// SampleAllocations sets the memory profiler's rate to AllocSampleRate,
// once per process, unless the program chose a rate of its own (such as
// go test -memprofilerate). Samples taken before the call were taken at
// the old rate, so call it before the runs whose allocations are read.
func SampleAllocations() {
	sampling.Do(func() {
		if runtime.MemProfileRate == defaultMemProfileRate {
			runtime.MemProfileRate = AllocSampleRate
		}
	})
}

// defaultMemProfileRate is the runtime's default rate (512 KiB).
const defaultMemProfileRate = 512 << 10

// Attribution says which frames belong to which owner, by the prefix of
// the function's package path. Frames of the standard library and the
// runtime belong to whoever called them, so an allocation is attributed
// by the innermost frame that is not the standard library's.
type Attribution struct {
	// Harness and SDK are package-path prefixes, such as
	// "github.com/sqsperf/sqsperf/runner" and "github.com/aws/".
	Harness, SDK []string
}

// DefaultAttribution is this module's runner and the AWS SDK for Go v2.
var DefaultAttribution = Attribution{
	Harness: []string{"github.com/sqsperf/sqsperf/runner"},
	SDK:     []string{"github.com/aws/"},
}

// AllocProfile is a snapshot of the memory profile, already attributed:
// what each owner has allocated so far, estimated from the samples. It
// holds four numbers, not the profile's thousands of sites, because a
// snapshot is kept for the whole measured window and must not add to the
// live heap the run measures (keeping the sites added a megabyte and read
// as heap.live.max +90% on stress), and because a record shows only a
// stack's first 32 frames: the SDK's deep stacks share them, so counts
// keyed by them lost a third of the SDK's bytes (every record is added
// up instead). Differences of two snapshots give what each owner
// allocated in between (Since).
type AllocProfile struct {
	// Rate is the sampling rate the samples were taken at (0: profiling
	// was off).
	Rate   int
	owners map[Owner]OwnerAllocs
}

// OwnerAllocs is what one owner allocated: objects and bytes, estimated
// from the samples.
type OwnerAllocs struct {
	Objects, Bytes float64
}

// ReadAllocProfile forces a garbage collection, which publishes every
// allocation made so far to the memory profile, reads the profile and
// attributes each allocation site's samples, scaled up the way pprof does
// it (a site whose objects average s bytes is sampled with probability
// 1-exp(-s/rate)), to its owner. It returns the zero AllocProfile (Rate 0)
// when profiling is off.
func (a Attribution) ReadAllocProfile() AllocProfile {
	runtime.GC()
	rate := runtime.MemProfileRate
	if rate <= 0 {
		return AllocProfile{}
	}
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		n, ok = runtime.MemProfile(records, true)
		if ok {
			records = records[:n]
			break
		}
	}
	s := AllocProfile{Rate: rate, owners: map[Owner]OwnerAllocs{}}
	for i := range records {
		r := &records[i]
		objects, bytes := scaleSample(siteCount{objects: r.AllocObjects, bytes: r.AllocBytes}, rate)
		if objects == 0 {
			continue
		}
		o := a.ownerOf(r.Stack0[:])
		cur := s.owners[o]
		cur.Objects += objects
		cur.Bytes += bytes
		s.owners[o] = cur
	}
	// The records (a few hundred bytes per allocation site, megabytes in
	// a process that has parsed profiles or run the SDK for a while) are
	// garbage now, but a collection while they were being read saw them
	// live, and heap.live reads that until the next cycle: collect again,
	// so that a window's ends do not show in its heap (scalability after
	// memory read heap.live.max +50-65% against its baseline).
	records = nil
	runtime.GC()
	return s
}

type siteCount struct{ objects, bytes int64 }

// Since returns what each owner allocated between before and s. It
// returns nil when either snapshot was taken without profiling or the
// rate changed in between. (Each site's estimate is scaled by its average
// object size at the time of the snapshot; a site whose sizes vary a lot
// between the two is estimated a little off, as pprof's own differences
// of two profiles are.)
func (s AllocProfile) Since(before AllocProfile) map[Owner]OwnerAllocs {
	after := s
	if before.Rate <= 0 || after.Rate != before.Rate {
		return nil
	}
	out := map[Owner]OwnerAllocs{}
	for o, c := range after.owners {
		b := before.owners[o]
		out[o] = OwnerAllocs{Objects: max(0, c.Objects-b.Objects), Bytes: max(0, c.Bytes-b.Bytes)}
	}
	return out
}

// ownerOf walks the stack from the allocating frame outwards and returns
// the owner of the first frame outside the standard library.
func (a Attribution) ownerOf(stack []uintptr) Owner {
	n := 0
	for n < len(stack) && stack[n] != 0 {
		n++
	}
	frames := runtime.CallersFrames(stack[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" {
			if o, ok := a.ownerOfFunc(f.Function); ok {
				return o
			}
		}
		if !more {
			return OwnerStd
		}
	}
}

// ownerOfFunc classifies one function name ("net/http.(*Client).Do",
// "github.com/aws/smithy-go/middleware.(*Stack).HandleMiddleware"); ok
// is false for the standard library and the runtime.
func (a Attribution) ownerOfFunc(fn string) (Owner, bool) {
	if isStd(fn) {
		return "", false
	}
	for _, p := range a.Harness {
		if strings.HasPrefix(fn, p) {
			return OwnerHarness, true
		}
	}
	for _, p := range a.SDK {
		if strings.HasPrefix(fn, p) {
			return OwnerSDK, true
		}
	}
	return OwnerConsumer, true
}

// isStd reports whether a function belongs to the standard library or
// the runtime: its import path's first element has no dot ("net/http",
// "runtime", "encoding/json"), except a program's own main package.
func isStd(fn string) bool {
	if strings.HasPrefix(fn, "main.") {
		return false
	}
	first := fn
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	} else if i := strings.IndexByte(first, '.'); i >= 0 {
		first = first[:i]
	}
	return !strings.Contains(first, ".")
}

// scaleSample is pprof's scaleHeapSample: the sampled counts of one site
// scaled to an estimate of what it allocated.
func scaleSample(c siteCount, rate int) (objects, bytes float64) {
	if c.objects == 0 || c.bytes == 0 {
		return 0, 0
	}
	if rate <= 1 {
		return float64(c.objects), float64(c.bytes)
	}
	avg := float64(c.bytes) / float64(c.objects)
	scale := 1 / (1 - math.Exp(-avg/float64(rate)))
	return float64(c.objects) * scale, float64(c.bytes) * scale
}
