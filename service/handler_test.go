package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDistributions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	assert.Equal(t, 5*time.Millisecond, Constant(5*time.Millisecond).Sample(r))
	assert.Zero(t, Constant(-time.Second).Sample(r))

	u := Uniform(20*time.Millisecond, 10*time.Millisecond) // swapped on purpose
	for range 1000 {
		d := u.Sample(r)
		require.GreaterOrEqual(t, d, 10*time.Millisecond)
		require.LessOrEqual(t, d, 20*time.Millisecond)
	}

	ln := LogNormal(10*time.Millisecond, 100*time.Millisecond)
	samples := make([]time.Duration, 20_000)
	for i := range samples {
		samples[i] = ln.Sample(r)
	}
	slices.Sort(samples)
	median, p99 := samples[len(samples)/2], samples[len(samples)*99/100]
	assert.InDelta(t, float64(10*time.Millisecond), float64(median), float64(time.Millisecond), "median")
	assert.InDelta(t, float64(100*time.Millisecond), float64(p99), float64(15*time.Millisecond), "p99")
	assert.Equal(t, Constant(0), LogNormal(0, time.Second))
}

func TestDownloadHandler(t *testing.T) {
	h := NewDownloadHandler(DownloadConfig{CPU: time.Millisecond, IOWait: Constant(time.Millisecond), Alloc: 10_000, PayloadSize: 4096})
	require.NoError(t, h.Handle(t.Context(), Task{TaskID: "t", JobID: "j", Size: 100}))

	// A long I/O wait ends with the context.
	slow := NewDownloadHandler(DownloadConfig{IOWait: Constant(time.Hour)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, slow.Handle(ctx, Task{TaskID: "t", JobID: "j"}), context.Canceled)

	busy := NewDownloadHandler(DownloadConfig{CPU: time.Hour})
	assert.ErrorIs(t, busy.Handle(ctx, Task{TaskID: "t", JobID: "j"}), context.Canceled)

	assert.Error(t, DownloadConfig{CPU: -1}.Validate())
	assert.Error(t, DownloadConfig{Alloc: -1}.Validate())
	assert.Error(t, DownloadConfig{PayloadSize: -1}.Validate())
}

// The I/O wait of a task depends only on the seed and the task.
func TestDownloadHandlerSamplesAreReproducible(t *testing.T) {
	var waits []time.Duration
	dist := recordingDist{inner: Uniform(0, time.Microsecond), out: &waits}
	h := NewDownloadHandler(DownloadConfig{IOWait: dist, Seed: 42})
	for range 2 {
		for _, id := range []string{"a", "b", "c"} {
			require.NoError(t, h.Handle(t.Context(), Task{TaskID: id, JobID: "j"}))
		}
	}
	assert.Equal(t, waits[:3], waits[3:])
}

type recordingDist struct {
	inner Distribution
	out   *[]time.Duration
}

func (d recordingDist) Sample(r *rand.Rand) time.Duration {
	v := d.inner.Sample(r)
	*d.out = append(*d.out, v)
	return v
}

func TestHandlerRegistry(t *testing.T) {
	for _, name := range []string{"download", "noop"} {
		f, ok := LookupHandler(name)
		require.True(t, ok, name)
		h, err := f(DownloadConfig{})
		require.NoError(t, err)
		require.NoError(t, h.Handle(t.Context(), Task{TaskID: "t", JobID: "j"}))
	}
	download, _ := LookupHandler("download")
	_, err := download(DownloadConfig{CPU: -time.Second})
	assert.ErrorContains(t, err, "CPU")

	custom := func(DownloadConfig) (Handler, error) {
		return HandlerFunc(func(context.Context, Task) error { return nil }), nil
	}
	// The registry is process-wide: a fresh name per run keeps -count=N
	// working.
	name := fmt.Sprintf("test-custom-%d", time.Now().UnixNano())
	require.NoError(t, RegisterHandler(name, custom))
	_, ok := LookupHandler(name)
	assert.True(t, ok)
	assert.Contains(t, HandlerNames(), name)
	assert.ErrorContains(t, RegisterHandler(name, custom), "already registered")
	assert.ErrorContains(t, RegisterHandler("download", custom), "already registered")
	assert.Error(t, RegisterHandler("", custom))
	assert.Error(t, RegisterHandler("nil-factory", nil))
	_, ok = LookupHandler("missing")
	assert.False(t, ok)
}

func TestInjectedFailuresAreSeededAndProportional(t *testing.T) {
	fails := func(seed int64) []bool {
		out := make([]bool, 10_000)
		for i := range out {
			task := Task{JobID: "j", TaskID: string(rune('a'+i%26)) + string(rune(i))}
			out[i] = chance(seed, failureSalt, &task, i%3) < 0.2
		}
		return out
	}
	a, b, c := fails(1), fails(1), fails(2)
	assert.Equal(t, a, b, "same seed, same failures")
	assert.NotEqual(t, a, c)
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	assert.InDelta(t, 2000, n, 200, "about 20%% fail")
	task := Task{JobID: "j", TaskID: "t"}
	assert.NotEqual(t, chance(1, failureSalt, &task, 0), chance(1, failureSalt, &task, 1), "a retry is a fresh draw")
	assert.NotEqual(t, chance(1, failureSalt, &task, 0), chance(1, crashSalt, &task, 0), "crashes and failures are independent")
}
