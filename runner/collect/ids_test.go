package collect

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseJobID(t *testing.T) {
	for _, tc := range []struct {
		id     string
		prefix string
		n      uint32
		ok     bool
	}{
		{"j0", "", 0, true},
		{"j17", "", 17, true},
		{"wj3", "w", 3, true},
		{"run-j2j5", "run-j2", 5, true},
		{"j", "", 0, false},
		{"j01", "", 0, false}, // not canonical: must not alias j1
		{"j2147483647", "", 2147483647, true},
		{"j2147483648", "", 0, false}, // past 32 bits of index
		{"job", "", 0, false},
		{"order-7", "", 0, false},
		{"", "", 0, false},
	} {
		prefix, n, ok := parseJobID(tc.id)
		assert.Equal(t, tc.ok, ok, tc.id)
		if tc.ok {
			assert.Equal(t, tc.prefix, prefix, tc.id)
			assert.Equal(t, tc.n, n, tc.id)
		}
	}
}

func TestParseTaskID(t *testing.T) {
	for _, tc := range []struct {
		id  string
		job string
		k   uint32
		ok  bool
	}{
		{"j0/t0", "j0", 0, true},
		{"wj12/t9", "wj12", 9, true},
		{"a/tb/t3", "a/tb", 3, true},
		{"j0/t", "", 0, false},
		{"j0/t03", "", 0, false},
		{"/t1", "", 1, true},
		{"t1", "", 0, false},
		{"x", "", 0, false},
		{"", "", 0, false},
	} {
		job, k, ok := parseTaskID(tc.id)
		assert.Equal(t, tc.ok, ok, tc.id)
		if tc.ok {
			assert.Equal(t, tc.job, job, tc.id)
			assert.Equal(t, tc.k, k, tc.id)
		}
	}
}

func TestShardOfSpreadsConsecutiveJobs(t *testing.T) {
	seen := map[int]bool{}
	for n := 0; n < shardCount; n++ {
		seen[shardOf("j"+itoa(n))] = true
	}
	assert.Len(t, seen, shardCount, "consecutive job numbers must use every shard")
	assert.Equal(t, shardOf("order-A"), shardOf("order-A"), "named ids must route stably")
}
