package collect

// The load driver names jobs "<prefix>j<N>" and their tasks "<job>/t<k>"
// (runner/load). Parsing ids back into (prefix, N, k) lets the collector
// keep per-task state as bits in dense arrays instead of a map entry per
// task id. Ids that do not follow the scheme (a user's own load) still
// work, through maps: slower and larger, never wrong.

// maxSchemeNumber bounds N and k so that they fit the collector's 32-bit
// indices; a larger number is treated as an id outside the scheme.
const maxSchemeNumber = 1<<31 - 1

// parseNumber reads a canonical decimal (no sign, no leading zero unless
// it is "0"). Canonical only, so that "j01" and "j1" never name the same
// job.
func parseNumber(s string) (uint32, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > maxSchemeNumber {
		return 0, false
	}
	return uint32(n), true
}

// parseJobID splits "<prefix>j<N>" at the last 'j'.
func parseJobID(id string) (prefix string, n uint32, ok bool) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == 'j' {
			n, ok = parseNumber(id[i+1:])
			return id[:i], n, ok
		}
		if id[i] < '0' || id[i] > '9' {
			return "", 0, false
		}
	}
	return "", 0, false
}

// parseTaskID splits "<job>/t<k>" at the last "/t".
func parseTaskID(id string) (job string, k uint32, ok bool) {
	for i := len(id) - 1; i >= 1; i-- {
		if id[i] == 't' && id[i-1] == '/' {
			k, ok = parseNumber(id[i+1:])
			return id[:i-1], k, ok
		}
		if id[i] < '0' || id[i] > '9' {
			return "", 0, false
		}
	}
	return "", 0, false
}

// shardOf picks the shard that owns a job. Scheme ids spread by number so
// that consecutive jobs land on different shards and each shard's index
// stays dense; other ids by an FNV-1a hash.
func shardOf(jobID string) int {
	if _, n, ok := parseJobID(jobID); ok {
		return int(n % shardCount)
	}
	h := uint32(2166136261)
	for i := 0; i < len(jobID); i++ {
		h ^= uint32(jobID[i])
		h *= 16777619
	}
	return int(h % shardCount)
}
