package units

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10ms": 10 * time.Millisecond, "2s": 2 * time.Second, "1.5m": 90 * time.Second,
		"0": 0, "250us": 250 * time.Microsecond, "250µs": 250 * time.Microsecond,
		"1m30s": 90 * time.Second, "1h": time.Hour, "5 ms": 5 * time.Millisecond,
	} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		"10":      "10 has no unit: write a duration such as 10ms or 10s",
		"10KiB":   "is a size, not a duration",
		"fast":    "not a number",
		"10 mins": "unknown unit",
		"":        "empty",
	} {
		_, err := ParseDuration(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg, in)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"64KiB": 65536, "10MB": 10_000_000, "512B": 512, "0": 0, "1.5MiB": 1572864, "2GiB": 2 << 30, "1kB": 1000,
	} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		"512":   "write a size such as 512B or 512KiB",
		"64kib": "did you mean KiB",
		"2s":    "is a duration, not a size",
	} {
		_, err := ParseSize(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg, in)
	}
}

func TestParseRateAndRatio(t *testing.T) {
	r, err := ParseRate("3000/min")
	require.NoError(t, err)
	assert.InDelta(t, 50, r, 1e-12)
	r, err = ParseRate("50/s")
	require.NoError(t, err)
	assert.InDelta(t, 50, r, 1e-12)
	r, err = ParseRate("0")
	require.NoError(t, err)
	assert.Zero(t, r)
	_, err = ParseRate("50")
	assert.ErrorContains(t, err, "write a rate such as 50/s")
	_, err = ParseRate("50/week")
	assert.ErrorContains(t, err, "unknown rate unit")

	f, err := ParseRatio("20%")
	require.NoError(t, err)
	assert.InDelta(t, 0.2, f, 1e-12)
	f, err = ParseRatio("0.2")
	require.NoError(t, err)
	assert.InDelta(t, 0.2, f, 1e-12)
	_, err = ParseRatio("20ms")
	assert.ErrorContains(t, err, "not a share")
}

func TestFormat(t *testing.T) {
	assert.Equal(t, "12.3ms", FormatDuration(0.0123))
	assert.Equal(t, "2h", FormatDuration(7200))
	assert.Equal(t, "50ns", FormatDuration(50e-9))
	assert.Equal(t, "1.5MiB", FormatSize(1.5*(1<<20)))
	assert.Equal(t, "3GiB", FormatSize(3*(1<<30)))
	assert.Equal(t, "45.1/s", FormatRate(45.1))
	assert.Equal(t, "3.2%", FormatPercent(0.032))
	assert.Equal(t, "0.000123", Number(0.000123))
	assert.Equal(t, "0", Number(-0.0))
	assert.Equal(t, "+Inf", Number(1/zero()))
}

func zero() float64 { return 0 }
