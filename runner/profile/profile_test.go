package profile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/result"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// burnCPUForProfile spins until this process has spent cpu more CPU time
// (or a generous wall-clock cap passes): the profiler samples CPU time, so
// on a busy machine a wall-clock spin could leave too few samples.
//
//go:noinline
func burnCPUForProfile(t *testing.T, cpu time.Duration) int {
	x := 0
	start := processCPU(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		for i := range 1_000_000 {
			x ^= i * 7
		}
		if processCPU(t)-start >= cpu {
			break
		}
	}
	return x
}

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestSessionWritesReadableProfilesAndTopFunctions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports", "run")
	s, err := Start(t.Context(), dir, Options{CPU: true, Heap: true, Trace: 10 * time.Second, Prefix: "r1-"})
	require.NoError(t, err)
	// CPU time, not wall time, decides how many samples land; spin until
	// enough CPU has been spent even on a busy machine.
	burnCPUForProfile(t, 500*time.Millisecond)
	files, err := s.Stop()
	require.NoError(t, err)
	assert.Equal(t, []string{"cpu:r1-cpu.pprof", "trace:r1-trace.out", "heap:r1-heap.pprof"}, kinds(files))

	top, err := TopFunctions(filepath.Join(dir, "r1-cpu.pprof"), 5)
	require.NoError(t, err)
	require.NotEmpty(t, top)
	assert.LessOrEqual(t, len(top), 5)
	assert.True(t, strings.HasSuffix(top[0].Function, "burnCPUForProfile"), "hottest function: %+v", top)
	assert.Greater(t, top[0].Flat, 0.3)
	for i, f := range top {
		assert.GreaterOrEqual(t, f.Cum, f.Flat, f.Function)
		assert.LessOrEqual(t, f.Cum, 1.0+1e-9)
		if i > 0 {
			assert.LessOrEqual(t, f.Flat, top[i-1].Flat, "sorted by flat share")
		}
	}

	heap, err := os.ReadFile(filepath.Join(dir, "r1-heap.pprof"))
	require.NoError(t, err)
	hp, err := profile.ParseData(heap)
	require.NoError(t, err)
	var types []string
	for _, st := range hp.SampleType {
		types = append(types, st.Type)
	}
	assert.Contains(t, types, "inuse_space")

	tr, err := os.ReadFile(filepath.Join(dir, "r1-trace.out"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(tr, []byte("go 1.")), "execution trace header, got %q", tr[:min(16, len(tr))])
}

func kinds(ps []result.Profile) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind+":"+p.Path)
	}
	return out
}

func TestTraceWindowEndsByItself(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.out")
	tw, err := StartTrace(t.Context(), path, 50*time.Millisecond)
	require.NoError(t, err)
	select {
	case <-tw.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("trace window did not end")
	}
	require.NoError(t, tw.Stop(), "Stop after the window ended returns at once")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Positive(t, st.Size())

	_, err = StartTrace(t.Context(), path, 0)
	assert.ErrorContains(t, err, "window must be positive")
}

func TestSecondProfileIsBusyNotAPanic(t *testing.T) {
	dir := t.TempDir()
	stop, err := StartCPU(filepath.Join(dir, "a.pprof"))
	require.NoError(t, err)
	defer stop()
	_, err = StartCPU(filepath.Join(dir, "b.pprof"))
	assert.ErrorIs(t, err, ErrBusy)
	_, err = os.Stat(filepath.Join(dir, "b.pprof"))
	assert.True(t, os.IsNotExist(err), "no empty file left behind")

	_, err = Start(t.Context(), dir, Options{CPU: true})
	assert.ErrorIs(t, err, ErrBusy)
	require.NoError(t, stop())
	require.NoError(t, stop(), "stop is idempotent")
}

func TestPrefixCannotEscapeTheDirectory(t *testing.T) {
	for _, p := range []string{"../x", "a/b", `a\b`, ".."} {
		_, err := Start(t.Context(), t.TempDir(), Options{CPU: true, Prefix: p})
		assert.ErrorContains(t, err, "plain file-name prefix", p)
	}
}

func TestTopFunctionsBadInput(t *testing.T) {
	_, err := TopFunctions(filepath.Join(t.TempDir(), "missing.pprof"), 10)
	assert.ErrorContains(t, err, "no such file")

	bad := filepath.Join(t.TempDir(), "bad.pprof")
	require.NoError(t, os.WriteFile(bad, []byte("not a profile"), 0o644))
	_, err = TopFunctions(bad, 10)
	assert.ErrorContains(t, err, "bad.pprof: not a pprof profile")
}

// A hand-built profile with known shares: recursion and inlining must not
// double count, and an unsymbolised location still shows by address.
func TestTopFunctionsShares(t *testing.T) {
	fn := func(id uint64, name string) *profile.Function { return &profile.Function{ID: id, Name: name} }
	main, work, hash, inl := fn(1, "main"), fn(2, "work"), fn(3, "hash"), fn(4, "inlined")
	loc := func(id uint64, fs ...*profile.Function) *profile.Location {
		l := &profile.Location{ID: id}
		for _, f := range fs {
			l.Line = append(l.Line, profile.Line{Function: f})
		}
		return l
	}
	lMain, lWork, lHash, lInl := loc(1, main), loc(2, work), loc(3, hash), loc(4, inl, work)
	lRaw := &profile.Location{ID: 5, Address: 0xbeef}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{lHash, lWork, lMain}, Value: []int64{1, 50}},
			{Location: []*profile.Location{lWork, lWork, lMain}, Value: []int64{1, 30}}, // recursion
			{Location: []*profile.Location{lInl, lMain}, Value: []int64{1, 10}},
			{Location: []*profile.Location{lRaw}, Value: []int64{1, 10}},
		},
		Function: []*profile.Function{main, work, hash, inl},
		Location: []*profile.Location{lMain, lWork, lHash, lInl, lRaw},
	}
	var buf bytes.Buffer
	require.NoError(t, p.Write(&buf))
	top, err := TopFunctionsFrom(&buf, 0)
	require.NoError(t, err)
	got := map[string][2]float64{}
	for _, f := range top {
		got[f.Function] = [2]float64{f.Flat, f.Cum}
	}
	assert.Equal(t, map[string][2]float64{
		"hash":    {0.5, 0.5},
		"work":    {0.3, 0.9},
		"inlined": {0.1, 0.1},
		"0xbeef":  {0.1, 0.1},
		"main":    {0, 0.9},
	}, got)
	assert.Equal(t, "hash", top[0].Function)
	assert.Equal(t, "main", top[len(top)-1].Function)
}
