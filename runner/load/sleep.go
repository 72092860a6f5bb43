package load

import (
	"context"
	"time"
)

// sleep waits d or until ctx ends, and returns ctx.Err() in that case.
// The driver reads the time from the time package itself, with no seam:
// its tests run inside a testing/synctest bubble, where time.Now and
// timers are virtual, so pacing and backoff are checked exactly and at
// once without a fake clock.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
