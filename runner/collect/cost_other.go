//go:build !unix

package collect

import "time"

// processCPU is unknown here; cpu.per_message is then left out rather
// than reported as zero.
func processCPU() (time.Duration, bool) { return 0, false }
