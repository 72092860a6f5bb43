package suggest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClosest(t *testing.T) {
	names := []string{"workers", "max_queue_size", "max_concurrent_jobs"}
	assert.Equal(t, "workers", Closest("wrokers", names))
	assert.Equal(t, "max_queue_size", Closest("max_queue_sise", names))
	assert.Equal(t, "", Closest("colour", names), "nothing within distance 3")
	assert.Equal(t, "", Closest(strings.Repeat("x", 500), names), "hostile input is not compared")
	assert.Equal(t, "a", Closest("c", []string{"a", "b"}), "ties keep the first candidate")
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"abc", "", 3}, {"flaw", "lawn", 2}} {
		assert.Equal(t, tc.want, distance(tc.a, tc.b), "%q vs %q", tc.a, tc.b)
	}
}
