package service

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config configures a Service. Zero values take the defaults documented on
// each field.
type Config struct {
	// JobsQueueURL is the export-jobs queue, TasksQueueURL the
	// download-tasks queue (overflow and retries), DeadLetterQueueURL where
	// the service itself puts messages it cannot parse, with the reason as
	// a message attribute. Tasks that exhaust their retries reach the
	// dead-letter queue through the tasks queue's redrive policy, not
	// through the service. All three are required.
	JobsQueueURL, TasksQueueURL, DeadLetterQueueURL string
	// Workers is the size of the worker pool (WORKER_POOL_SIZE; default 4).
	Workers int
	// MaxConcurrentJobs caps the jobs in progress at once
	// (MAX_CONCURRENT_JOBS; default 20).
	MaxConcurrentJobs int
	// MaxQueueSize is the capacity of the internal queue of tasks waiting
	// for a worker (MAX_QUEUE_SIZE; default 100). Tasks of a job that do
	// not fit overflow to the tasks queue.
	MaxQueueSize int
	// FailureRate is the share of task attempts that fail (FAILURE_RATE,
	// 0 to 1). Which attempts fail is fixed by Seed.
	FailureRate float64
	// CrashRate is the share of task attempts whose handler panics, to
	// exercise crash recovery (CRASH_RATE, 0 to 1).
	CrashRate float64
	// Seed fixes which task attempts fail or crash.
	Seed int64
	// Pollers is the number of receive loops per queue (default 2); it is
	// independent of the batch size of 10 so that concurrency is not
	// capped by the batch.
	Pollers int
	// WaitTime is the long-poll wait (default 1s, 1s to 20s, whole
	// seconds; a fraction rounds up).
	WaitTime time.Duration
	// VisibilityTimeout is the lease requested on receive (default 30s,
	// 1s to 12h). A heartbeat extends it while the work runs.
	VisibilityTimeout time.Duration
	// RetryDelay is how long a failed task message stays invisible before
	// SQS delivers it again (default 1s, whole seconds, up to 12h).
	RetryDelay time.Duration
	// ShutdownTimeout bounds a graceful shutdown (default 10s). Workers
	// drain the queue for three quarters of it (the rest, at most 2s, is
	// for deletes and releases); in-flight long polls are cut off at that
	// point. Keep that share above WaitTime: SQS may hand a message to a
	// poll the service has already abandoned, and such a message waits out
	// its visibility timeout before another consumer sees it.
	ShutdownTimeout time.Duration
	// Handler does the work of a task (default: the download handler with
	// zero cost).
	Handler Handler
	// Observer receives events; nil costs nothing.
	Observer Observer
	// Logger receives warnings and errors; nil discards them.
	Logger *slog.Logger
}

// Defaults, named so documentation and error messages agree with the code.
const (
	DefaultWorkers           = 4
	DefaultMaxConcurrentJobs = 20
	DefaultMaxQueueSize      = 100
	DefaultPollers           = 2
	DefaultWaitTime          = time.Second
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultRetryDelay        = time.Second
	DefaultShutdownTimeout   = 10 * time.Second
)

const (
	maxWorkers        = 10_000
	maxConcurrentJobs = 100_000
	maxQueueSize      = 1_000_000
	maxPollers        = 100
	maxWaitTime       = 20 * time.Second
	maxVisibility     = 12 * time.Hour
)

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxConcurrentJobs == 0 {
		c.MaxConcurrentJobs = DefaultMaxConcurrentJobs
	}
	if c.MaxQueueSize == 0 {
		c.MaxQueueSize = DefaultMaxQueueSize
	}
	if c.Pollers == 0 {
		c.Pollers = DefaultPollers
	}
	if c.WaitTime == 0 {
		c.WaitTime = DefaultWaitTime
	}
	if c.VisibilityTimeout == 0 {
		c.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Handler == nil {
		c.Handler = NewDownloadHandler(DownloadConfig{})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first setting that cannot work, naming the field
// and what is allowed. Zero values are allowed where a default exists.
func (c Config) Validate() error {
	for _, q := range []struct{ field, value string }{
		{"JobsQueueURL", c.JobsQueueURL},
		{"TasksQueueURL", c.TasksQueueURL},
		{"DeadLetterQueueURL", c.DeadLetterQueueURL},
	} {
		if err := checkQueueURL(q.value); err != nil {
			return fmt.Errorf("config: %s %s", q.field, err)
		}
	}
	if c.JobsQueueURL == c.TasksQueueURL || c.JobsQueueURL == c.DeadLetterQueueURL || c.TasksQueueURL == c.DeadLetterQueueURL {
		return fmt.Errorf("config: JobsQueueURL, TasksQueueURL and DeadLetterQueueURL must be three different queues")
	}
	checks := []struct {
		field string
		err   error
	}{
		{"Workers", checkInt(c.Workers, 1, maxWorkers)},
		{"MaxConcurrentJobs", checkInt(c.MaxConcurrentJobs, 1, maxConcurrentJobs)},
		{"MaxQueueSize", checkInt(c.MaxQueueSize, 1, maxQueueSize)},
		{"FailureRate", checkRate(c.FailureRate)},
		{"CrashRate", checkRate(c.CrashRate)},
		{"Pollers", checkInt(c.Pollers, 1, maxPollers)},
		{"WaitTime", checkDuration(c.WaitTime, time.Second, maxWaitTime)},
		{"VisibilityTimeout", checkDuration(c.VisibilityTimeout, time.Second, maxVisibility)},
		{"RetryDelay", checkDuration(c.RetryDelay, time.Second, maxVisibility)},
		{"ShutdownTimeout", checkDuration(c.ShutdownTimeout, time.Millisecond, 24*time.Hour)},
	}
	for _, ch := range checks {
		if ch.err != nil {
			return fmt.Errorf("config: %s %w", ch.field, ch.err)
		}
	}
	return nil
}

// checkInt, checkRate and checkDuration treat zero as "use the default".
func checkInt(v, lo, hi int) error {
	if v == 0 || (v >= lo && v <= hi) {
		return nil
	}
	return fmt.Errorf("is %d; allowed: %d to %d (0 for the default)", v, lo, hi)
}

func checkRate(v float64) error {
	if v >= 0 && v <= 1 && !math.IsNaN(v) {
		return nil
	}
	return fmt.Errorf("is %v; allowed: 0 to 1 (a share of task attempts)", v)
}

func checkDuration(v, lo, hi time.Duration) error {
	if v == 0 || (v >= lo && v <= hi) {
		return nil
	}
	return fmt.Errorf("is %v; allowed: %v to %v (0 for the default)", v, lo, hi)
}

func checkQueueURL(v string) error {
	if v == "" {
		return fmt.Errorf("is empty; set it to the queue's URL (for example http://127.0.0.1:9324/000000000000/export-jobs)")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("is %q; want an http or https queue URL", v)
	}
	return nil
}

// Environment variables read by ConfigFromEnv.
const (
	EnvJobsQueueURL       = "SQS_EXPORT_JOBS_URL"
	EnvTasksQueueURL      = "SQS_DOWNLOAD_TASKS_URL"
	EnvDeadLetterQueueURL = "SQS_DLQ_URL"
	EnvWorkers            = "WORKER_POOL_SIZE"
	EnvMaxConcurrentJobs  = "MAX_CONCURRENT_JOBS"
	EnvMaxQueueSize       = "MAX_QUEUE_SIZE"
	EnvFailureRate        = "FAILURE_RATE"
	EnvCrashRate          = "CRASH_RATE"
	EnvSeed               = "SEED"
	EnvPollers            = "POLLERS"
	EnvWaitTime           = "SQS_WAIT_TIME"
	EnvVisibilityTimeout  = "SQS_VISIBILITY_TIMEOUT"
	EnvRetryDelay         = "RETRY_DELAY"
	EnvShutdownTimeout    = "SHUTDOWN_TIMEOUT"
	EnvHandler            = "HANDLER"
	EnvTaskCPU            = "TASK_CPU"
	EnvTaskIOWait         = "TASK_IO_WAIT"
	EnvTaskIOWaitP99      = "TASK_IO_WAIT_P99"
	EnvTaskAlloc          = "TASK_ALLOC"
	EnvTaskPayloadSize    = "TASK_PAYLOAD_SIZE"
)

// ConfigFromEnv builds a Config from environment variables, as the
// original service was configured. The three queue URLs are required;
// everything else has a default. An error names the variable, what it
// holds and what is allowed. Observer and Logger are left for the caller.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	e := envReader{getenv: getenv}
	c := Config{
		JobsQueueURL:       e.queueURL(EnvJobsQueueURL),
		TasksQueueURL:      e.queueURL(EnvTasksQueueURL),
		DeadLetterQueueURL: e.queueURL(EnvDeadLetterQueueURL),
		Workers:            e.int(EnvWorkers, 1, maxWorkers),
		MaxConcurrentJobs:  e.int(EnvMaxConcurrentJobs, 1, maxConcurrentJobs),
		MaxQueueSize:       e.int(EnvMaxQueueSize, 1, maxQueueSize),
		FailureRate:        e.rate(EnvFailureRate),
		CrashRate:          e.rate(EnvCrashRate),
		Seed:               int64(e.int(EnvSeed, math.MinInt64, math.MaxInt64)),
		Pollers:            e.int(EnvPollers, 1, maxPollers),
		WaitTime:           e.duration(EnvWaitTime, time.Second, maxWaitTime),
		VisibilityTimeout:  e.duration(EnvVisibilityTimeout, time.Second, maxVisibility),
		RetryDelay:         e.duration(EnvRetryDelay, time.Second, maxVisibility),
		ShutdownTimeout:    e.duration(EnvShutdownTimeout, time.Millisecond, 24*time.Hour),
	}
	download := DownloadConfig{
		CPU:         e.duration(EnvTaskCPU, 0, time.Hour),
		Alloc:       e.int(EnvTaskAlloc, 0, 1<<30),
		PayloadSize: e.int(EnvTaskPayloadSize, 0, 1<<30),
		Seed:        c.Seed,
	}
	if median := e.duration(EnvTaskIOWait, 0, time.Hour); median > 0 {
		p99 := e.duration(EnvTaskIOWaitP99, 0, time.Hour)
		if p99 == 0 {
			download.IOWait = Constant(median)
		} else if p99 < median {
			e.fail(EnvTaskIOWaitP99, e.getenv(EnvTaskIOWaitP99), fmt.Sprintf("must be at least %s (%v)", EnvTaskIOWait, median))
		} else {
			download.IOWait = LogNormal(median, p99)
		}
	}
	if e.err != nil {
		return Config{}, e.err
	}
	name := strings.TrimSpace(getenv(EnvHandler))
	if name == "" {
		name = "download"
	}
	factory, ok := LookupHandler(name)
	if !ok {
		return Config{}, fmt.Errorf("%s=%q: no handler by that name; allowed: %s", EnvHandler, name, strings.Join(HandlerNames(), ", "))
	}
	h, err := factory(download)
	if err != nil {
		return Config{}, fmt.Errorf("%s=%q: %w", EnvHandler, name, err)
	}
	c.Handler = h
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// envReader collects the first error so ConfigFromEnv reads as a list of
// settings.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) fail(name, value, allowed string) {
	if e.err == nil {
		e.err = fmt.Errorf("%s=%q: %s", name, value, allowed)
	}
}

func (e *envReader) queueURL(name string) string {
	v := strings.TrimSpace(e.getenv(name))
	if v == "" {
		if e.err == nil {
			e.err = fmt.Errorf("%s is not set; set it to the queue's URL (for example http://127.0.0.1:9324/000000000000/export-jobs)", name)
		}
		return ""
	}
	if err := checkQueueURL(v); err != nil {
		e.fail(name, v, "want an http or https queue URL")
	}
	return v
}

func (e *envReader) int(name string, lo, hi int) int {
	raw := strings.TrimSpace(e.getenv(name))
	if raw == "" {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < lo || v > hi {
		e.fail(name, raw, fmt.Sprintf("want a whole number from %d to %d", lo, hi))
		return 0
	}
	return v
}

// rate accepts a fraction ("0.2") or a percentage ("20%").
func (e *envReader) rate(name string) float64 {
	raw := strings.TrimSpace(e.getenv(name))
	if raw == "" {
		return 0
	}
	s, scale := raw, 1.0
	if strings.HasSuffix(s, "%") {
		s, scale = strings.TrimSuffix(s, "%"), 100
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v/scale < 0 || v/scale > 1 {
		e.fail(name, raw, "want a share from 0 to 1 (for example 0.2) or a percentage (20%)")
		return 0
	}
	return v / scale
}

// duration accepts Go durations ("1500ms", "2s") and plain numbers of
// seconds, the unit SQS itself uses.
func (e *envReader) duration(name string, lo, hi time.Duration) time.Duration {
	raw := strings.TrimSpace(e.getenv(name))
	if raw == "" {
		return 0
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		secs, numErr := strconv.ParseFloat(raw, 64)
		if numErr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			e.fail(name, raw, fmt.Sprintf("want a duration such as 2s or 500ms, from %v to %v", lo, hi))
			return 0
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < lo || d > hi {
		e.fail(name, raw, fmt.Sprintf("want a duration from %v to %v", lo, hi))
		return 0
	}
	return d
}
