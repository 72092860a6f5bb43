package collect

import (
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOwnerOfFunc(t *testing.T) {
	a := DefaultAttribution
	for fn, want := range map[string]Owner{
		"github.com/sqsperf/sqsperf/service.(*Service).runTask": OwnerConsumer,
		"github.com/acme/worker/internal/pool.(*Pool).run":      OwnerConsumer,
		"main.handle": OwnerConsumer,
		"github.com/aws/smithy-go/middleware.(*Stack).HandleMiddleware":      OwnerSDK,
		"github.com/aws/aws-sdk-go-v2/service/sqs.(*Client).ReceiveMessage":  OwnerSDK,
		"github.com/sqsperf/sqsperf/runner/load.Run":                         OwnerHarness,
		"github.com/sqsperf/sqsperf/runner.(*serviceClient).ReceiveMessage":  OwnerHarness,
		"github.com/sqsperf/sqsperf/runner/sqscount.(*Counter).Attach.func1": OwnerHarness,
		"gopkg.in/yaml%2ev3.(*parser).parse":                                 OwnerConsumer,
		"golang.org/x/sync/errgroup.(*Group).Go.func1":                       OwnerConsumer,
	} {
		got, ok := a.ownerOfFunc(fn)
		assert.True(t, ok, fn)
		assert.Equal(t, want, got, fn)
	}
	for _, fn := range []string{
		"runtime.mallocgc", "encoding/json.Unmarshal", "net/http.(*persistConn).readLoop",
		"internal/runtime/maps.newarray", "sync.(*Pool).Get", "time.NewTimer",
	} {
		_, ok := a.ownerOfFunc(fn)
		assert.False(t, ok, "%s is the standard library's: its allocations belong to its caller", fn)
	}
}

// The functions below allocate on behalf of the owners the test's
// Attribution assigns them to by name.

//go:noinline
func allocAsHarness(n, size int) {
	for range n {
		allocSink = append(allocSink, make([]byte, size))
	}
}

//go:noinline
func allocAsSDK(n, size int) {
	for range n {
		allocSink = append(allocSink, make([]byte, size))
	}
}

//go:noinline
func allocAsConsumer(n, size int) {
	for range n {
		allocSink = append(allocSink, make([]byte, size))
	}
}

// allocThroughStd allocates inside the standard library (a map grown by
// the runtime) on behalf of the consumer, its caller.
//
//go:noinline
func allocThroughStd(n int) map[int]int {
	m := map[int]int{}
	for i := range n {
		m[i] = i
	}
	return m
}

func TestOwnersAttributesEveryAllocationOnce(t *testing.T) {
	// Rate 1 samples every allocation: the counts are exact, so the
	// attribution itself is what is checked.
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old })
	a := Attribution{
		Harness: []string{"github.com/sqsperf/sqsperf/runner/collect.allocAsHarness"},
		SDK:     []string{"github.com/sqsperf/sqsperf/runner/collect.allocAsSDK"},
	}
	allocSink = make([][]byte, 0, 4000)
	// What the map costs, measured apart.
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	runtime.KeepAlive(allocThroughStd(5000))
	runtime.ReadMemStats(&m1)
	mapBytes := float64(m1.TotalAlloc - m0.TotalAlloc)

	before := a.ReadAllocProfile()
	allocAsHarness(1000, 64)
	allocAsSDK(2000, 128)
	allocAsConsumer(500, 1024)
	big := allocThroughStd(5000)
	after := a.ReadAllocProfile()
	runtime.KeepAlive(big)

	got := after.Since(before)
	require.NotNil(t, got)
	assert.InDelta(t, 1000, got[OwnerHarness].Objects, 0)
	assert.InDelta(t, 64*1000, got[OwnerHarness].Bytes, 0)
	assert.InDelta(t, 2000, got[OwnerSDK].Objects, 0)
	assert.InDelta(t, 128*2000, got[OwnerSDK].Bytes, 0)
	// The consumer's own 500 KiB, its map's growth (inside the runtime,
	// attributed to the caller), and whatever else this test's code
	// allocated between the snapshots: never less than its own.
	assert.GreaterOrEqual(t, got[OwnerConsumer].Bytes, 500*1024+0.9*mapBytes)
	assert.Less(t, got[OwnerConsumer].Bytes, 500*1024+1.1*mapBytes+64<<10)
}

func TestOwnersSampledEstimateIsUnbiased(t *testing.T) {
	// At the runner's rate the estimate of 32 MiB in 64-byte objects is
	// within a few percent (about 1/sqrt(2048 samples) = 2.2% is one
	// standard deviation; the bound is four).
	old := runtime.MemProfileRate
	runtime.MemProfileRate = AllocSampleRate
	t.Cleanup(func() { runtime.MemProfileRate = old })
	a := Attribution{SDK: []string{"github.com/sqsperf/sqsperf/runner/collect.allocAsSDK"}}
	const n, size = 32 << 20 / 64, 64
	allocSink = make([][]byte, 0, 1024)
	before := a.ReadAllocProfile()
	for range n / 1024 {
		allocSink = allocSink[:0]
		allocAsSDK(1024, size)
	}
	after := a.ReadAllocProfile()
	got := after.Since(before)[OwnerSDK].Bytes
	assert.InEpsilon(t, float64(n*size), got, 0.09)
}

func TestOwnersWithoutProfiling(t *testing.T) {
	assert.Nil(t, AllocProfile{Rate: 4096}.Since(AllocProfile{}))
	assert.Nil(t, AllocProfile{Rate: 4096}.Since(AllocProfile{Rate: 512}), "a rate changed in between is not comparable")
}

func TestScaleSample(t *testing.T) {
	o, b := scaleSample(siteCount{objects: 10, bytes: 640}, 1)
	assert.Equal(t, 10.0, o)
	assert.Equal(t, 640.0, b)
	// 64-byte objects at a 4 KiB rate: each sample stands for about 64.5
	// objects (1/(1-exp(-1/64))).
	o, b = scaleSample(siteCount{objects: 10, bytes: 640}, 4096)
	assert.InDelta(t, 645.0, o, 1)
	assert.InDelta(t, 64*645.0, b, 64)
	o, b = scaleSample(siteCount{}, 4096)
	assert.Zero(t, o+b)
}

// sdkAllocs is one function for both paths below, so their stacks are
// alike for the 40-odd frames nearest the allocation.
var sdkAllocs = func() { allocAsSDK(1000, 64) }

//go:noinline
func deepPathA() { deepAlloc(40, sdkAllocs) }

//go:noinline
func deepPathB() { deepAlloc(40, sdkAllocs) }

// TestOwnersCountsStacksDeeperThanARecordShows: a profile record shows a
// stack's first 32 frames only, so two deep call paths that differ
// further out (the SDK's middleware chains) look alike in Stack0; each
// must still be counted.
func TestOwnersCountsStacksDeeperThanARecordShows(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old })
	a := Attribution{SDK: []string{"github.com/sqsperf/sqsperf/runner/collect.allocAsSDK"}}
	allocSink = make([][]byte, 0, 2000)
	before := a.ReadAllocProfile()
	deepPathA()
	deepPathB()
	got := a.ReadAllocProfile().Since(before)[OwnerSDK]
	assert.InDelta(t, 2000, got.Objects, 0, "both paths, not one of them")
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Reading the memory profile copies every allocation site's record (a
// few hundred bytes each, megabytes once the process has parsed a profile
// or run the SDK for a while) onto the heap; a collection that runs while
// they are read sees them live, and heap.live reads that until the next
// cycle. The window's two ends run while the probes sample heap.live, so
// ReadAllocProfile collects once more after dropping the records: through
// the runner (go run ./runner/internal/inject -stored -scenarios
// faults,memory,scalability) scalability read heap.live.max 4.6-5.3 MB
// without it and 2.7-3.0 MB with it, against 2.7-3.0 MB with no window
// profile at all. When the collection during the read happens depends on
// the load, so this test checks the collection after it.
func TestReadAllocProfileCollectsAfterDroppingItsRecords(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 16 << 10
	t.Cleanup(func() { runtime.MemProfileRate = old })
	before := gcCycles()
	p := DefaultAttribution.ReadAllocProfile()
	require.Positive(t, p.Rate)
	assert.GreaterOrEqual(t, gcCycles()-before, uint64(2), "a collection to publish the profile, and one after its records were dropped")
}
