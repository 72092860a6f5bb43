//go:build race

package runner_test

// raceEnabled: the race detector multiplies CPU time and changes
// allocation counts (sync.Pool drops items at random), so per-message
// costs measured under it are not comparable with a baseline.
const raceEnabled = true
