package units

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormatByUnit(t *testing.T) {
	for _, tc := range []struct {
		u    Unit
		v    float64
		want string
	}{
		{Duration, 0.0123, "12.3ms"},
		{Duration, 1.5, "1.5s"},
		{Duration, 0.000250, "250µs"},
		{Duration, 90, "1.5m"},
		{Duration, 0, "0s"},
		{Rate, 45.12, "45.1/s"},
		{Rate, 1234.6, "1235/s"},
		{Ratio, 0.032, "3.2%"},
		{Ratio, 0, "0%"},
		{Bytes, 1.5 * (1 << 20), "1.5MiB"},
		{Bytes, 512, "512B"},
		{Bytes, -2048, "-2KiB"},
		{Count, 12, "12"},
		{Count, 2.5, "2.5"},
		{Dimensionless, 0.93, "0.93"},
		{Dimensionless, math.NaN(), "n/a"},
	} {
		assert.Equal(t, tc.want, Format(tc.u, tc.v), "%v %v", tc.u, tc.v)
	}
}

// Names and words appear in baselines, reports and error messages: they
// must not change when the type moves.
func TestUnitWords(t *testing.T) {
	for _, tc := range []struct {
		u               Unit
		name, noun, dim string
		example         string
	}{
		{Count, "count", "a count", "number", "a whole number such as 0 or 10"},
		{Duration, "duration", "a duration", "duration", "a duration such as 50ms or 2s"},
		{Bytes, "bytes", "a size in bytes", "size", "a size such as 64KiB or 10MB"},
		{Rate, "rate", "a rate", "rate", "a rate such as 50/s"},
		{Ratio, "ratio", "a share", "percentage", "a percentage such as 20% (or a fraction such as 0.2)"},
		{Dimensionless, "number", "a plain number", "number", "a number such as 0.8"},
	} {
		assert.Equal(t, tc.name, tc.u.String())
		assert.Equal(t, tc.noun, tc.u.Noun(), tc.name)
		assert.Equal(t, tc.dim, tc.u.Dim().String(), tc.name)
		assert.Equal(t, tc.example, tc.u.Example(), tc.name)
		// A literal written in the unit's dimension parses to that dimension.
		if q, err := ParseQuantity("2" + map[Dim]string{Plain: "", Time: "s", Size: "KiB", PerTime: "/s", Percent: "%"}[tc.u.Dim()]); assert.NoError(t, err) {
			assert.Equal(t, tc.u.Dim(), q.Dim, tc.name)
		}
	}
	assert.Equal(t, "unit(99)", Unit(99).String())
}
