package load

import "time"

// A Pacer decides when the next job is due. It is the arrival process of
// the load: a constant rate, or none at all (as fast as the senders go).
type Pacer interface {
	// Pace returns how long to wait before releasing the next job, given
	// the time since pacing began and how many jobs were released so far.
	Pace(elapsed time.Duration, released uint64) time.Duration
}

// PacerFunc adapts a function to Pacer, for a Plan's own arrival process.
type PacerFunc func(elapsed time.Duration, released uint64) time.Duration

// Pace calls f.
func (f PacerFunc) Pace(elapsed time.Duration, released uint64) time.Duration {
	return f(elapsed, released)
}

// ConstantPacer releases PerSecond jobs per second, evenly spaced: job i
// is due at i/PerSecond. The schedule is fixed: when the senders fall
// behind, the jobs already due go out as soon as a sender is free and
// pacing resumes once the schedule is met, so the rate over a batch is
// the one asked for whenever the senders can sustain it.
type ConstantPacer struct {
	PerSecond float64
}

// Pace implements Pacer.
func (cp ConstantPacer) Pace(elapsed time.Duration, released uint64) time.Duration {
	if cp.PerSecond <= 0 {
		return 0
	}
	due := time.Duration(float64(released) * float64(time.Second) / cp.PerSecond)
	return max(due-elapsed, 0)
}

// Unpaced releases every job at once: the senders' speed is the rate.
type Unpaced struct{}

// Pace implements Pacer.
func (Unpaced) Pace(time.Duration, uint64) time.Duration { return 0 }

var (
	_ Pacer = ConstantPacer{}
	_ Pacer = Unpaced{}
	_ Pacer = PacerFunc(nil)
)

// pacer is the plan's arrival process: its own Pacer, or by default a
// constant Rate (none at all when Rate is 0).
func (p Plan) pacer() Pacer {
	switch {
	case p.Pacer != nil:
		return p.Pacer
	case p.Rate > 0:
		return ConstantPacer{PerSecond: p.Rate}
	}
	return Unpaced{}
}
