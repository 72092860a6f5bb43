package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An over-long threshold once came back with all its 10,000 characters
// echoed in the error; the echo is cut, the place and the reason stay.
func TestOverLongThresholdIsNotEchoedWhole(t *testing.T) {
	src := "name: long\nthresholds:\n  - " + strings.Repeat("lost", 2500) + " == 0\n"
	errs := parseErrors(t, src)
	require.Len(t, errs, 1)
	msg := errs[0]
	assert.True(t, strings.HasPrefix(msg, "t.yaml:3:"), msg)
	assert.Contains(t, msg, "threshold is 10005 characters long; keep it under 1000")
	assert.Contains(t, msg, "(10005 characters in all)")
	assert.Less(t, len(msg), 400, "the error must not echo the whole expression")
}
