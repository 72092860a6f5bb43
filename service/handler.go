package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Distribution draws a duration, for example a task's I/O wait.
type Distribution interface {
	Sample(r *rand.Rand) time.Duration
}

// Constant always returns d.
func Constant(d time.Duration) Distribution { return constantDist(max(d, 0)) }

type constantDist time.Duration

func (d constantDist) Sample(*rand.Rand) time.Duration { return time.Duration(d) }
func (d constantDist) String() string                  { return "constant(" + time.Duration(d).String() + ")" }

// LogNormal returns a log-normal distribution with the given median and
// 99th percentile, the usual shape of network latency: most samples near
// the median and a long right tail. A p99 below the median is taken as the
// median (no spread).
func LogNormal(median, p99 time.Duration) Distribution {
	if median <= 0 {
		return constantDist(0)
	}
	p99 = max(p99, median)
	// z(0.99) of the standard normal distribution.
	const z99 = 2.3263478740408408
	return logNormalDist{
		mu:     math.Log(float64(median)),
		sigma:  (math.Log(float64(p99)) - math.Log(float64(median))) / z99,
		median: median,
		p99:    p99,
	}
}

type logNormalDist struct {
	mu, sigma   float64
	median, p99 time.Duration
}

func (d logNormalDist) Sample(r *rand.Rand) time.Duration {
	v := math.Exp(d.mu + d.sigma*r.NormFloat64())
	// Cap the tail so a freak sample cannot stall a run: 100x the p99 is
	// far beyond anything a percentile threshold looks at.
	return time.Duration(min(v, 100*float64(d.p99)))
}

func (d logNormalDist) String() string {
	return "lognormal(median " + d.median.String() + ", p99 " + d.p99.String() + ")"
}

// Uniform draws evenly from [lo, hi]. Bounds given in the wrong order are
// swapped.
func Uniform(lo, hi time.Duration) Distribution {
	lo, hi = max(lo, 0), max(hi, 0)
	if hi < lo {
		lo, hi = hi, lo
	}
	return uniformDist{lo: lo, hi: hi}
}

type uniformDist struct{ lo, hi time.Duration }

func (d uniformDist) Sample(r *rand.Rand) time.Duration {
	return d.lo + time.Duration(r.Int64N(int64(d.hi-d.lo)+1))
}

func (d uniformDist) String() string { return "uniform(" + d.lo.String() + ", " + d.hi.String() + ")" }

// DownloadConfig shapes the built-in handler's simulated download.
type DownloadConfig struct {
	// CPU is the CPU work per task (a fixed amount of hashing calibrated
	// once per process, so the work is the same however loaded the
	// machine is).
	CPU time.Duration
	// IOWait is the simulated network wait per task; nil means none.
	IOWait Distribution
	// Alloc is extra heap allocation per task in bytes, held until the
	// task ends.
	Alloc int
	// PayloadSize is the simulated body size in bytes, used when a task
	// does not set its own Size; the handler writes and checksums it.
	PayloadSize int
	// Seed makes I/O wait samples reproducible: a task's samples depend
	// only on the seed and the task's identity and attempt.
	Seed int64
}

// Validate reports the first setting that cannot work.
func (c DownloadConfig) Validate() error {
	switch {
	case c.CPU < 0:
		return fmt.Errorf("download handler: CPU is %v; must be 0 or more", c.CPU)
	case c.Alloc < 0:
		return fmt.Errorf("download handler: Alloc is %d bytes; must be 0 or more", c.Alloc)
	case c.PayloadSize < 0:
		return fmt.Errorf("download handler: PayloadSize is %d bytes; must be 0 or more", c.PayloadSize)
	}
	return nil
}

// NewDownloadHandler returns the built-in handler. Negative settings count
// as zero; use DownloadConfig.Validate to reject them instead.
func NewDownloadHandler(cfg DownloadConfig) Handler {
	return &downloadHandler{cfg: cfg}
}

type downloadHandler struct{ cfg DownloadConfig }

type taskRand struct {
	pcg rand.PCG
	r   *rand.Rand
}

var taskRands = sync.Pool{New: func() any {
	tr := &taskRand{}
	tr.r = rand.New(&tr.pcg)
	return tr
}}

// checksumSink keeps the simulated work observable so the compiler cannot
// drop it.
var checksumSink atomic.Uint64

func (h *downloadHandler) Handle(ctx context.Context, t Task) error {
	if h.cfg.Alloc > 0 {
		held := make([]byte, h.cfg.Alloc)
		for i := 0; i < len(held); i += 4096 {
			held[i] = 1
		}
		defer checksumSink.Add(uint64(held[len(held)-1]))
	}
	if h.cfg.IOWait != nil {
		tr := taskRands.Get().(*taskRand)
		tr.pcg.Seed(uint64(h.cfg.Seed), taskKey(t.JobID, t.TaskID, t.Attempt))
		wait := h.cfg.IOWait.Sample(tr.r)
		taskRands.Put(tr)
		if !sleepCtx(ctx, wait) {
			return ctx.Err()
		}
	}
	if h.cfg.CPU > 0 {
		if err := burnCPU(ctx, h.cfg.CPU); err != nil {
			return err
		}
	}
	size := h.cfg.PayloadSize
	if t.Size > 0 {
		size = t.Size
	}
	if size > 0 {
		body := make([]byte, size)
		var sum uint64
		for i := range body {
			body[i] = byte(i * 31)
		}
		for _, b := range body {
			sum = sum*131 + uint64(b)
		}
		checksumSink.Add(sum)
	}
	return nil
}

var (
	calibrateOnce sync.Once
	unitsPerMilli float64
)

// spinUnit is one unit of simulated CPU work.
func spinUnit(x uint64) uint64 {
	for range 64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// calibrate measures units per millisecond, keeping the best of a few
// short trials because a loaded machine can only make a trial slower.
func calibrate() {
	best := 0.0
	for range 5 {
		const units = 20_000
		start := time.Now()
		x := uint64(88172645463325252)
		for range units {
			x = spinUnit(x)
		}
		checksumSink.Add(x)
		if elapsed := time.Since(start); elapsed > 0 {
			best = max(best, units/(float64(elapsed)/float64(time.Millisecond)))
		}
	}
	unitsPerMilli = max(best, 1)
}

func burnCPU(ctx context.Context, d time.Duration) error {
	calibrateOnce.Do(calibrate)
	units := int64(unitsPerMilli * float64(d) / float64(time.Millisecond))
	x := uint64(88172645463325252)
	for i := int64(0); i < units; i++ {
		x = spinUnit(x)
		if i&1023 == 1023 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	checksumSink.Add(x)
	return nil
}

// HandlerFactory builds a handler from the task cost settings of a
// scenario; a handler may ignore settings it has no use for.
type HandlerFactory = func(DownloadConfig) (Handler, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]HandlerFactory{
		"download": func(c DownloadConfig) (Handler, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return NewDownloadHandler(c), nil
		},
		"noop": func(DownloadConfig) (Handler, error) {
			return HandlerFunc(func(context.Context, Task) error { return nil }), nil
		},
	}
)

// RegisterHandler makes a handler available by name (for example from a
// scenario file). Names are unique; "download" and "noop" are built in.
func RegisterHandler(name string, f func(DownloadConfig) (Handler, error)) error {
	if name == "" {
		return errors.New("register handler: the name is empty")
	}
	if f == nil {
		return fmt.Errorf("register handler %q: the factory is nil", name)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, taken := registry[name]; taken {
		return fmt.Errorf("register handler %q: a handler with that name is already registered", name)
	}
	registry[name] = f
	return nil
}

// LookupHandler returns the factory registered under name.
func LookupHandler(name string) (func(DownloadConfig) (Handler, error), bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// HandlerNames lists the registered handler names in order, for error
// messages that say what is allowed.
func HandlerNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
