package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandDecodes(t *testing.T) {
	s, err := Load("testdata/kitchen-sink-command.yaml")
	require.NoError(t, err)
	c := s.Service.Command
	assert.Equal(t, []string{"node", "index.js"}, c.Argv)
	assert.Equal(t, "../examples/node", c.Dir)
	assert.Equal(t, map[string]string{"SQS_WAIT_TIME": "1", "QUEUE": "${SQS_EXPORT_JOBS_URL}", "VERBOSE": "true"}, c.Env)
	assert.Equal(t, "consumer (started|ready)", c.Ready.Log)
	assert.Equal(t, 20*time.Second, c.ReadyWithin())
	assert.Equal(t, 5*time.Second, c.GraceOrDefault())
	assert.Equal(t, "SIGINT", c.Signal())
	assert.Equal(t, "q=http://x/jobs", ExpandCommandEnv("q=${SQS_EXPORT_JOBS_URL}", map[string]string{"SQS_EXPORT_JOBS_URL": "http://x/jobs"}))

	d, err := Parse("d.yaml", []byte("service: {command: {argv: [./consumer]}}\n"))
	require.NoError(t, err)
	assert.Equal(t, DefaultReadyTimeout, d.Service.Command.ReadyWithin())
	assert.Equal(t, DefaultGrace, d.Service.Command.GraceOrDefault())
	assert.Equal(t, "SIGTERM", d.Service.Command.Signal())
}

// TestNoCommandKeepsTheHash: the command joined the hashed settings only
// when set, so existing scenarios keep their baselines.
func TestNoCommandKeepsTheHash(t *testing.T) {
	a, err := Parse("a.yaml", []byte("load: {jobs: 10}\n"))
	require.NoError(t, err)
	b, err := Parse("b.yaml", []byte("load: {jobs: 10}\nservice: {command: {argv: [x]}}\n"))
	require.NoError(t, err)
	assert.True(t, a.Service.Command.IsZero())
	assert.NotEqual(t, a.Hash(), b.Hash())
}

func TestCommandErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"service:\n  command:\n    argv: node index.js\n", "c.yaml:3:5: service.command.argv: must be a list of strings"},
		{"service:\n  command:\n    dir: x\n", "c.yaml:3:5: service.command.dir: a command needs argv"},
		{"service:\n  command:\n    argv: [node]\n    env:\n      Q: ${SQS_JOBS}\n", "c.yaml:5:7: service.command.env.Q: unknown placeholder ${SQS_JOBS}: use one of ${AWS_ENDPOINT_URL_SQS}"},
		{"service:\n  command:\n    argv: [node]\n    env:\n      2X: a\n", "c.yaml:5:7: service.command.env.2X: \"2X\" is not a variable name"},
		{"service:\n  command:\n    argv: [node]\n    env: [A]\n", "c.yaml:4:5: service.command.env: must map variable names"},
		{"service:\n  command:\n    argv: [node]\n    ready: {log: \"(\"}\n", "service.command.ready.log: is not a regular expression"},
		{"service:\n  command:\n    argv: [node]\n    ready: {log: x, port: 80}\n", "set one readiness condition"},
		{"service:\n  command:\n    argv: [node]\n    stop_signal: SIGTREM\n", "c.yaml:4:5: service.command.stop_signal: \"SIGTREM\" is not allowed: did you mean SIGTERM?"},
		{"service:\n  command:\n    argv: [node]\n    grace: 20m\n", "service.command.grace: must be between"},
		{"service:\n  command:\n    argv: [node]\n    argc: 1\n", "c.yaml:4:5: service.command.argc: unknown key: did you mean argv?"},
		{"service:\n  failure_rate: 10%\n  command:\n    argv: [node]\n", "c.yaml:2:3: service.failure_rate: is not supported with service.command"},
		{"service:\n  command:\n    argv: [node]\nprofile: {cpu: true}\n", "c.yaml:4:11: profile.cpu: is not supported with service.command"},
		{"service:\n  command:\n    argv: [node]\nfaults: {crash: {after: 50%}}\n", "faults.crash.after: is not supported with service.command"},
		{"service:\n  command:\n    argv: [node]\nsqs: {backend: localstack}\n", "sqs.backend: service.command needs backend: embedded"},
	} {
		_, err := Parse("c.yaml", []byte(tc.src))
		require.Error(t, err, tc.src)
		assert.Contains(t, err.Error(), tc.want, tc.src)
	}
}
