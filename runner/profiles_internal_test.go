package runner

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/profile"
	"github.com/sqsperf/sqsperf/runner/result"
)

// The run label is "<scenario>[/<case>][ #<repeat>/<repeats>]"
// (runner.go); the prefix must keep every case and repeat apart, or one
// run's profiles overwrite another's in the shared directory.
func TestFilePrefix(t *testing.T) {
	for _, tc := range []struct{ label, want string }{
		{"stress", ""},
		{"stress #2/3", "r2of3-"},
		{"scalability/workers=4", "workers=4-"},
		{"scalability/workers=4 #2/3", "workers=4-r2of3-"},
		{"scalability/workers=4,visibility=30s #1/2", "workers=4,visibility=30s-r1of2-"},
		{"sweep/path=a/b", "path=aofb-"},
		{"sweep/path=..\\x", "path=__x-"},
	} {
		if got := filePrefix(tc.label); got != tc.want {
			t.Errorf("filePrefix(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
}

// Every repeat of a scenario without a matrix must get its own prefix.
func TestFilePrefixRepeatsDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, label := range []string{"stress #1/3", "stress #2/3", "stress #3/3"} {
		p := filePrefix(label)
		if other, dup := seen[p]; dup {
			t.Errorf("%q and %q share the profile prefix %q", other, label, p)
		}
		seen[p] = label
	}
}

// Every run of a service in this process keeps its window's allocation
// profile when profiles are kept and the A/B asks (AllocProfiles), each
// under its own prefix, without the scenario asking; the service's own
// functions are in it. Without AllocProfiles no run takes one.
func TestRunsKeepTheirWindowsAllocationProfile(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(t.Context(), pipelineScenario(t), Options{Getenv: noEnvironment, ProfileDir: dir, AllocProfiles: true})
	require.NoError(t, err)
	runs := allRuns(res)
	require.NotEmpty(t, runs)
	seen := map[string]bool{}
	for _, r := range runs {
		var allocs []result.Profile
		for _, p := range r.Profiles {
			if p.Kind == profile.KindAllocs {
				allocs = append(allocs, p)
			}
		}
		require.Len(t, allocs, 1, "run %d: %+v (warnings %v)", r.Repeat, r.Profiles, r.Warnings)
		assert.False(t, seen[allocs[0].Path], "two runs share %s", allocs[0].Path)
		seen[allocs[0].Path] = true
		perMessage, err := profile.MergeAllocs([]profile.AllocSource{{Path: filepath.Join(dir, allocs[0].Path), Processed: r.Accounting.Processed}},
			filepath.Join(t.TempDir(), "merged.pprof"))
		require.NoError(t, err)
		service := 0.0
		for fn, b := range perMessage {
			if strings.HasPrefix(fn, "github.com/sqsperf/sqsperf/service.") {
				service += b
			}
		}
		assert.Positive(t, service, "the service's own allocations: %v", perMessage)
	}
	left, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, left, "the start snapshots are removed")
}

func TestRunsTakeNoAllocationProfileUnlessAsked(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(t.Context(), pipelineScenario(t), Options{Getenv: noEnvironment, ProfileDir: dir})
	require.NoError(t, err)
	for _, r := range allRuns(res) {
		for _, p := range r.Profiles {
			assert.NotEqual(t, profile.KindAllocs, p.Kind, "run %d", r.Repeat)
		}
	}
	left, err := filepath.Glob(filepath.Join(dir, "*allocs*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}
