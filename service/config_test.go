package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	return Config{
		JobsQueueURL:       "http://127.0.0.1:9324/000000000000/export-jobs",
		TasksQueueURL:      "http://127.0.0.1:9324/000000000000/download-tasks",
		DeadLetterQueueURL: "http://127.0.0.1:9324/000000000000/dlq",
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	require.NoError(t, validConfig().Validate(), "zero values take defaults")
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.JobsQueueURL = "" }, "JobsQueueURL is empty"},
		{func(c *Config) { c.TasksQueueURL = "ftp://x/y" }, `TasksQueueURL is "ftp://x/y"; want an http or https queue URL`},
		{func(c *Config) { c.DeadLetterQueueURL = c.JobsQueueURL }, "three different queues"},
		{func(c *Config) { c.Workers = -1 }, "Workers is -1; allowed: 1 to 10000"},
		{func(c *Config) { c.MaxConcurrentJobs = 100_001 }, "MaxConcurrentJobs is 100001"},
		{func(c *Config) { c.MaxQueueSize = -5 }, "MaxQueueSize is -5"},
		{func(c *Config) { c.FailureRate = 1.5 }, "FailureRate is 1.5; allowed: 0 to 1"},
		{func(c *Config) { c.CrashRate = -0.1 }, "CrashRate is -0.1"},
		{func(c *Config) { c.Pollers = 1000 }, "Pollers is 1000; allowed: 1 to 100"},
		{func(c *Config) { c.WaitTime = 21 * time.Second }, "WaitTime is 21s; allowed: 1s to 20s"},
		{func(c *Config) { c.VisibilityTimeout = 500 * time.Millisecond }, "VisibilityTimeout is 500ms"},
		{func(c *Config) { c.RetryDelay = -time.Second }, "RetryDelay is -1s"},
		{func(c *Config) { c.ShutdownTimeout = -time.Second }, "ShutdownTimeout is -1s"},
	} {
		c := validConfig()
		tc.change(&c)
		assert.ErrorContains(t, c.Validate(), tc.want)
	}
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func baseEnv() map[string]string {
	return map[string]string{
		EnvJobsQueueURL:       "http://127.0.0.1:9324/000000000000/export-jobs",
		EnvTasksQueueURL:      "http://127.0.0.1:9324/000000000000/download-tasks",
		EnvDeadLetterQueueURL: "http://127.0.0.1:9324/000000000000/dlq",
	}
}

func TestConfigFromEnv(t *testing.T) {
	m := baseEnv()
	m[EnvWorkers] = "8"
	m[EnvMaxConcurrentJobs] = "50"
	m[EnvMaxQueueSize] = "5"
	m[EnvFailureRate] = "20%"
	m[EnvCrashRate] = "0.01"
	m[EnvSeed] = "-3"
	m[EnvPollers] = "3"
	m[EnvWaitTime] = "2"
	m[EnvVisibilityTimeout] = "45s"
	m[EnvShutdownTimeout] = "1500ms"
	m[EnvTaskIOWait] = "20ms"
	m[EnvTaskIOWaitP99] = "200ms"
	m[EnvHandler] = "download"
	c, err := ConfigFromEnv(envOf(m))
	require.NoError(t, err)
	assert.Equal(t, 8, c.Workers)
	assert.Equal(t, 50, c.MaxConcurrentJobs)
	assert.Equal(t, 5, c.MaxQueueSize)
	assert.InDelta(t, 0.2, c.FailureRate, 1e-12)
	assert.InDelta(t, 0.01, c.CrashRate, 1e-12)
	assert.EqualValues(t, -3, c.Seed)
	assert.Equal(t, 3, c.Pollers)
	assert.Equal(t, 2*time.Second, c.WaitTime)
	assert.Equal(t, 45*time.Second, c.VisibilityTimeout)
	assert.Equal(t, 1500*time.Millisecond, c.ShutdownTimeout)
	dh, ok := c.Handler.(*downloadHandler)
	require.True(t, ok)
	assert.Equal(t, LogNormal(20*time.Millisecond, 200*time.Millisecond), dh.cfg.IOWait)

	c, err = ConfigFromEnv(envOf(baseEnv()))
	require.NoError(t, err)
	assert.Zero(t, c.Workers, "unset: the default applies in New")
}

func TestConfigFromEnvNamesTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{EnvJobsQueueURL, "", "SQS_EXPORT_JOBS_URL is not set"},
		{EnvTasksQueueURL, "", "SQS_DOWNLOAD_TASKS_URL is not set"},
		{EnvDeadLetterQueueURL, "", "SQS_DLQ_URL is not set"},
		{EnvJobsQueueURL, "not a url", `SQS_EXPORT_JOBS_URL="not a url": want an http or https queue URL`},
		{EnvWorkers, "four", `WORKER_POOL_SIZE="four": want a whole number from 1 to 10000`},
		{EnvWorkers, "0", `WORKER_POOL_SIZE="0"`},
		{EnvMaxConcurrentJobs, "-1", `MAX_CONCURRENT_JOBS="-1"`},
		{EnvMaxQueueSize, "1.5", `MAX_QUEUE_SIZE="1.5"`},
		{EnvFailureRate, "1.2", `FAILURE_RATE="1.2": want a share from 0 to 1`},
		{EnvFailureRate, "abc", `FAILURE_RATE="abc"`},
		{EnvCrashRate, "150%", `CRASH_RATE="150%"`},
		{EnvSeed, "x", `SEED="x"`},
		{EnvWaitTime, "30s", `SQS_WAIT_TIME="30s": want a duration from 1s to 20s`},
		{EnvVisibilityTimeout, "soon", `SQS_VISIBILITY_TIMEOUT="soon": want a duration such as 2s`},
		{EnvHandler, "teleport", `HANDLER="teleport": no handler by that name; allowed: `},
		{EnvTaskIOWaitP99, "1ms", `TASK_IO_WAIT_P99="1ms": must be at least TASK_IO_WAIT`},
		{EnvTaskAlloc, "-1", `TASK_ALLOC="-1"`},
	} {
		m := baseEnv()
		m[EnvTaskIOWait] = "10ms"
		m[tc.name] = tc.value
		_, err := ConfigFromEnv(envOf(m))
		assert.ErrorContains(t, err, tc.want, "%s=%q", tc.name, tc.value)
	}
}
