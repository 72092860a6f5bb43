// Package nodeexample tests the Node.js consumer in this directory
// (index.js) as a separate process against the embedded SQS server,
// accounting for every message from the server's view (runner/ledger).
package nodeexample

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/examples/internal/harness"
	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

func TestMain(m *testing.M) {
	// The scenario tests run the embedded SQS server as a child process
	// of this test binary.
	sqsbackend.ServeChildIfRequested()
	goleak.VerifyTestMain(m)
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how it exited, once exited is closed
	out    *syncbuf.Buffer
}

func (p *process) Alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("node exited (%v); output:\n%s", p.err, p.out.String())
	default:
		return nil
	}
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *process) Stop() error {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			return fmt.Errorf("node did not exit within 30 s of SIGTERM; output:\n%s", p.out.String())
		}
	}
	if p.err != nil {
		return fmt.Errorf("node exited with %v after SIGTERM; output:\n%s", p.err, p.out.String())
	}
	return nil
}

// start runs `node index.js` with the queues' environment; it skips the
// test when node or the installed packages are missing.
func start(t *testing.T, e *harness.Env, extra ...string) harness.Consumer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: install Node.js 20 or later to run the Node example's tests")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "sqs-consumer")); err != nil {
		t.Skip("the Node example's packages are not installed: run examples/node/install.sh (npm ci) to enable this test")
	}
	cmd := exec.Command(node, "index.js")
	cmd.Env = append(os.Environ(), e.ConsumerEnv(append([]string{
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"SQS_WAIT_TIME=1",
	}, extra...)...)...)
	p := &process{cmd: cmd, exited: make(chan struct{}), out: &syncbuf.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node index.js: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Log(err)
		}
	})
	return p
}

func TestConsumerLosesNothing(t *testing.T) { harness.CheckLosesNothing(t, start) }

func TestConsumerReleasesUnfinishedWorkOnShutdown(t *testing.T) {
	harness.CheckReleasesOnShutdown(t, start)
}

func TestBrokenConsumerIsReportedWithTheExactLostIDs(t *testing.T) {
	harness.CheckBrokenReportedExactly(t, start)
}
