package service

// Injected failures and crashes are decided by hashing the task's identity
// and attempt with the seed, not by drawing from a shared generator: the
// same task on the same attempt fails in every run whatever the order in
// which workers pick tasks, so a run is reproducible on a busy machine.

const (
	failureSalt = 0x9e3779b97f4a7c15
	crashSalt   = 0xc2b2ae3d27d4eb4f
)

// taskKey hashes a task's identity and attempt (FNV-1a, then a final mix).
func taskKey(jobID, taskID string, attempt int) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(jobID); i++ {
		h = (h ^ uint64(jobID[i])) * prime
	}
	h = (h ^ 0xff) * prime // separator: ("ab","c") and ("a","bc") differ
	for i := 0; i < len(taskID); i++ {
		h = (h ^ uint64(taskID[i])) * prime
	}
	return mix64(h ^ uint64(attempt)*0xbf58476d1ce4e5b9)
}

// mix64 is splitmix64's finaliser: it spreads every input bit over the
// output so nearby keys give unrelated draws.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// chance returns a number in [0, 1) fixed by its arguments.
func chance(seed int64, salt uint64, t *Task, attempt int) float64 {
	h := mix64(taskKey(t.JobID, t.TaskID, attempt) ^ mix64(uint64(seed)^salt))
	return float64(h>>11) / (1 << 53)
}
