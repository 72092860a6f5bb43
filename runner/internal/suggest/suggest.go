// Package suggest finds the name a user probably meant: the "did you
// mean" of every error about an unknown key, metric, axis or function.
package suggest

// maxDistance is the largest edit distance still offered as a suggestion:
// beyond it the "suggestion" is more confusing than none.
const maxDistance = 3

// maxLen bounds the work on hostile input (fuzzed files, huge keys).
const maxLen = 200

// Closest returns the candidate within edit distance 3 of s, preferring
// the nearest and, among equals, the first; "" when none is near.
func Closest(s string, candidates []string) string {
	if len(s) > maxLen {
		return ""
	}
	best, bestDist := "", maxDistance+1
	for _, c := range candidates {
		if len(c) > maxLen {
			continue
		}
		if d := distance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b (bytes).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
