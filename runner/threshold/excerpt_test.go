package threshold

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExcerpt(t *testing.T) {
	short := "p99(stage.process) < 50ms"
	assert.Equal(t, short, Excerpt(short))
	assert.Equal(t, strings.Repeat("x", maxEcho), Excerpt(strings.Repeat("x", maxEcho)))

	long := strings.Repeat("lost", 2500) // 10,000 characters
	got := Excerpt(long)
	assert.Less(t, len(got), 2*maxEcho)
	assert.True(t, strings.HasPrefix(got, long[:maxEcho]))
	assert.Contains(t, got, "(10000 characters in all)")

	// A cut never splits a character.
	wide := strings.Repeat("é", 100)
	assert.True(t, utf8.ValidString(Excerpt(wide)))
	assert.Contains(t, Excerpt(wide), "(200 characters in all)")
}

// The over-long threshold's own error stays short, whatever its length.
func TestOverLongThresholdErrorIsShort(t *testing.T) {
	_, err := Parse(strings.Repeat("x", 10_000))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "threshold is 10000 characters long; keep it under 1000")
	assert.Less(t, len(err.Error()), 100)
}
