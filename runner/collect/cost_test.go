package collect

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sink []byte

func TestCostSnapshotSeesAllocationsAndCPU(t *testing.T) {
	before := CostSnapshot()
	for i := 0; i < 1000; i++ {
		sink = make([]byte, 1024)
	}
	// Burn some CPU: getrusage has a resolution of a scheduler tick or
	// better, so a few tens of milliseconds always register.
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	runtime.KeepAlive(x)
	after := CostSnapshot()

	// The runtime counts an allocation when its span is handed out, so the
	// counters lag by up to a span per size class: a few allocations.
	assert.GreaterOrEqual(t, after.Allocs-before.Allocs, uint64(950))
	assert.GreaterOrEqual(t, after.AllocBytes-before.AllocBytes, uint64(950*1024))
	if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
		require.True(t, after.CPUKnown)
		assert.Greater(t, after.CPU, before.CPU)
	}
}

func TestPerMessage(t *testing.T) {
	before := Cost{CPU: time.Second, CPUKnown: true, Allocs: 100, AllocBytes: 1000}
	after := Cost{CPU: 3 * time.Second, CPUKnown: true, Allocs: 2100, AllocBytes: 401000}
	got := PerMessage(before, after, 1000)
	assert.Equal(t, map[string]float64{
		"cpu.per_message":         0.002,
		"alloc.per_message":       2,
		"alloc.bytes_per_message": 400,
	}, got)

	assert.Empty(t, PerMessage(before, after, 0), "no cost per zero messages")
	unknown := PerMessage(Cost{Allocs: 1}, Cost{Allocs: 11}, 10)
	assert.NotContains(t, unknown, "cpu.per_message", "unknown CPU is left out, not zero")
	assert.InDelta(t, 1.0, unknown["alloc.per_message"], 0)
	swapped := PerMessage(after, before, 10)
	assert.Empty(t, swapped, "snapshots in the wrong order give nothing rather than negative costs")
}
