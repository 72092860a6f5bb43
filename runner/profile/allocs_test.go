package profile

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

// synthetic builds a heap profile whose samples are (stack, alloc bytes):
// each stack lists function names innermost first.
func synthetic(samples map[string]int64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     16 << 10,
	}
	fns := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for stack, bytes := range samples {
		var s profile.Sample
		for _, name := range strings.Split(stack, ";") {
			loc, ok := locs[name]
			if !ok {
				fn := &profile.Function{ID: uint64(len(fns) + 1), Name: name}
				fns[name] = fn
				p.Function = append(p.Function, fn)
				loc = &profile.Location{ID: uint64(len(locs) + 1), Line: []profile.Line{{Function: fn}}}
				locs[name] = loc
				p.Location = append(p.Location, loc)
			}
			s.Location = append(s.Location, loc)
		}
		s.Value = []int64{bytes / 64, bytes, 1, 64}
		p.Sample = append(p.Sample, &s)
	}
	return p
}

func writeSynthetic(t *testing.T, path string, samples map[string]int64) string {
	t.Helper()
	require.NoError(t, writeProfile(path, synthetic(samples)))
	return path
}

func TestAllocGrowthNamesTheFunctionThatAllocatesMore(t *testing.T) {
	dir := t.TempDir()
	// Two rounds per side of 1000 messages each. B's handler allocates
	// 1.5 KB more per message (through runtime.makeslice, which is how,
	// not who); the SDK allocates a little less; the decoder the same.
	a := []AllocSource{
		{Path: writeSynthetic(t, filepath.Join(dir, "a1.pprof"), map[string]int64{
			"runtime.makeslice;service.handle;service.worker": 1_000_000,
			"sdk.send;service.worker":                         5_000_000,
			"json.decode;service.worker":                      2_000_000,
		}), Processed: 1000},
		{Path: writeSynthetic(t, filepath.Join(dir, "a2.pprof"), map[string]int64{
			"runtime.makeslice;service.handle;service.worker": 1_000_000,
			"sdk.send;service.worker":                         5_000_000,
			"json.decode;service.worker":                      2_000_000,
		}), Processed: 1000},
	}
	b := []AllocSource{
		{Path: writeSynthetic(t, filepath.Join(dir, "b1.pprof"), map[string]int64{
			"runtime.makeslice;service.handle;service.worker": 2_500_000,
			"sdk.send;service.worker":                         4_900_000,
			"json.decode;service.worker":                      2_000_000,
		}), Processed: 1000},
		{Path: writeSynthetic(t, filepath.Join(dir, "b2.pprof"), map[string]int64{
			"runtime.makeslice;service.handle;service.worker": 2_500_000,
			"sdk.send;service.worker":                         4_900_000,
			"json.decode;service.worker":                      2_000_000,
			"service.newThing;service.worker":                 100_000, // new in B
		}), Processed: 1000},
	}
	base, err := MergeAllocs(a, filepath.Join(dir, "A-allocs.pprof"))
	require.NoError(t, err)
	cur, err := MergeAllocs(b, filepath.Join(dir, "B-allocs.pprof"))
	require.NoError(t, err)
	assert.InDelta(t, 1000, base["service.handle"], 1e-9, "bytes per message over both rounds")
	assert.InDelta(t, 2500, cur["service.handle"], 1e-9)
	assert.NotContains(t, cur, "runtime.makeslice", "the runtime's frames are how, not who")

	grew := AllocGrowth(base, cur, 5)
	assert.Equal(t, []result.AllocGrowth{
		{Function: "service.handle", Base: 1000, Current: 2500},
		{Function: "service.newThing", Base: 0, Current: 50},
	}, grew, "largest growth first; the SDK's fall and the decoder's standstill are left out")

	// The merged files are what the advice names for go tool pprof.
	merged, err := readProfile(filepath.Join(dir, "B-allocs.pprof"))
	require.NoError(t, err)
	assert.Equal(t, "alloc_space", merged.DefaultSampleType)
	var total int64
	for _, s := range merged.Sample {
		total += s.Value[1]
	}
	assert.Equal(t, int64(2*2_500_000+2*4_900_000+2*2_000_000+100_000), total)
}

func TestMergeAllocsRejectsWhatItCannotDivide(t *testing.T) {
	dir := t.TempDir()
	_, err := MergeAllocs(nil, filepath.Join(dir, "x.pprof"))
	require.Error(t, err)
	src := writeSynthetic(t, filepath.Join(dir, "a.pprof"), map[string]int64{"f": 10})
	_, err = MergeAllocs([]AllocSource{{Path: src}}, filepath.Join(dir, "x.pprof"))
	require.ErrorContains(t, err, "processed no messages")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.pprof"), []byte("nope"), 0o644))
	_, err = MergeAllocs([]AllocSource{{Path: filepath.Join(dir, "bad.pprof"), Processed: 1}}, filepath.Join(dir, "x.pprof"))
	require.ErrorContains(t, err, "bad.pprof is not a pprof profile")
}

var allocSink [][]byte

//go:noinline
func allocateBeforeWindow() {
	for range 200 {
		allocSink = append(allocSink, make([]byte, 64<<10))
	}
}

//go:noinline
func allocateInWindow() {
	for range 200 {
		allocSink = append(allocSink, make([]byte, 64<<10))
	}
}

// The window's profile holds what was allocated between Start and Stop,
// not what the process allocated before.
func TestAllocWindowHoldsOnlyTheWindow(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 16 << 10
	t.Cleanup(func() { runtime.MemProfileRate = old; allocSink = nil })
	dir := t.TempDir()
	allocateBeforeWindow()
	w, err := StartAllocs(dir, "r1-")
	require.NoError(t, err)
	allocateInWindow()
	got, err := w.Stop()
	require.NoError(t, err)
	assert.Equal(t, result.Profile{Kind: KindAllocs, Path: "r1-allocs.pprof"}, got)
	_, err = os.Stat(filepath.Join(dir, "r1-"+allocsStartFile))
	assert.True(t, os.IsNotExist(err), "the start snapshot is removed")

	p, err := readProfile(filepath.Join(dir, "r1-allocs.pprof"))
	require.NoError(t, err)
	require.Len(t, p.SampleType, 2)
	byFn := allocsByFunction(p)
	var in, before int64
	for fn, b := range byFn {
		switch {
		case strings.HasSuffix(fn, ".allocateInWindow"):
			in += b
		case strings.HasSuffix(fn, ".allocateBeforeWindow"):
			before += b
		}
	}
	assert.InDelta(t, 200*64<<10, float64(in), 0.2*200*64<<10, "the window's 12.5 MiB, estimated from samples")
	assert.Zero(t, before, "allocations before the window are subtracted")
}

//go:noinline
func allocateAtDepth(d, size int) {
	if d > 0 {
		allocateAtDepth(d-1, size)
		return
	}
	allocSink = append(allocSink, make([]byte, size))
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Writing the start snapshot builds the profile on the heap, and a
// collection during the write sees it live; heap.live is sampled from
// the next moment on, so StartAllocs must leave the heap as it found it
// (a stress run read heap.live.max +43% against its baseline before).
func TestStartAllocsLeavesNoGarbageLive(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old; allocSink = nil })
	// Many distinct stacks make a large profile to write.
	for d := range 30 {
		for size := 1; size <= 64; size++ {
			allocateAtDepth(d, size*16)
		}
	}
	allocSink = nil
	// A heap near its collection target, as in a service under load: the
	// write's own allocations start a collection while it runs.
	gcPercent := debug.SetGCPercent(1)
	t.Cleanup(func() { debug.SetGCPercent(gcPercent) })
	runtime.GC()
	before := liveHeap()
	w, err := StartAllocs(t.TempDir(), "r1-")
	require.NoError(t, err)
	after := liveHeap()
	_, err = w.Stop()
	require.NoError(t, err)
	assert.LessOrEqual(t, after, before+64<<10, "live heap %d bytes before the snapshot, %d after", before, after)
}
