package sqsbackend

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

// Why a child process: the embedded server answers every request the
// service, the load driver and the runner make, and on two cores that
// costs as much CPU as a light service. In-process, getrusage and the
// runtime's allocation counters cannot tell its share from the service's,
// so a +15% regression of the service read as +6% of the process. In its
// own process the server's CPU and allocations are measured apart (the
// harness's share), and cpu.per_message describes the service.
//
// The child is this very executable, re-run with ChildEnv set: the
// runner's main and the TestMain of packages that run scenarios call
// ServeChildIfRequested first thing. An executable that does not (a
// user's own test binary) prints no URL, and the backend falls back to
// the in-process server with a warning, so nothing breaks.

// ChildEnv, when set in a process's environment, makes
// ServeChildIfRequested serve the embedded SQS server for the parent.
const ChildEnv = "SQSPERF_SQS_CHILD"

// costPath answers the server process's own CPU time and allocation
// counters, read by the parent before and after the measured window.
const costPath = "/_sqsperf/cost"

// childURLPrefix starts the line on which a child announces its URL.
const childURLPrefix = "SQSPERF_SQS_URL="

// childStartTimeout bounds how long the parent waits for the URL.
const childStartTimeout = 10 * time.Second

// childShutdownGrace is how long the child lets open connections finish
// once the runner is done with it.
const childShutdownGrace = 100 * time.Millisecond

// ServerCost is what the SQS server process has spent so far.
type ServerCost struct {
	CPU        time.Duration `json:"cpu_ns"`
	Allocs     uint64        `json:"allocs"`
	AllocBytes uint64        `json:"alloc_bytes"`
}

// Sub returns c minus an earlier snapshot.
func (c ServerCost) Sub(before ServerCost) ServerCost {
	return ServerCost{CPU: c.CPU - before.CPU, Allocs: c.Allocs - before.Allocs, AllocBytes: c.AllocBytes - before.AllocBytes}
}

// ServeChildIfRequested serves the embedded SQS server and exits when
// this process was started as a backend's child (ChildEnv set); otherwise
// it returns at once. Call it first thing in main, and in TestMain of
// test binaries that run scenarios on the embedded backend.
func ServeChildIfRequested() {
	if os.Getenv(ChildEnv) == "" {
		return
	}
	os.Exit(serveChild(os.Getenv(ChildEnv), os.Stdin, os.Stdout))
}

// serveChild listens on loopback, announces the URL on out and serves
// until in reaches EOF: the parent closes it on Close, and the OS closes
// it when the parent dies, so a child never outlives its runner.
func serveChild(region string, in io.Reader, out io.Writer) int {
	if region == "1" {
		region = DefaultRegion
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "sqsperf sqs child: cannot listen on 127.0.0.1: %v\n", err)
		return 4
	}
	// The ledger accounts for every message from the server's view, for
	// any consumer; the parent reads it at the end of a run (ServerLedger).
	led := ledger.New()
	h := sqsemu.New(sqsemu.WithRegion(region), sqsemu.WithObserver(led.Observe))
	mux := http.NewServeMux()
	mux.Handle(ledger.Path, led.Wrap(http.NotFoundHandler()))
	receives := &receiveCounter{}
	mux.Handle(receivesPath, receives)
	mux.HandleFunc("GET "+costPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(selfCost())
	})
	mux.Handle("/", receives.wrap(h))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(out, "%shttp://%s\n", childURLPrefix, ln.Addr())
	_, _ = io.Copy(io.Discard, in)
	h.Close()
	// The runner closes stdin once it is done with the server, so any
	// connection still open is idle, or was dialled and never used (a
	// client's dial that outlived its cancelled request), which
	// http.Server.Shutdown waits up to 5 s for: it held one repeat in
	// three for 2 s, the whole timeout. A short grace, then close.
	ctx, cancel := context.WithTimeout(context.Background(), childShutdownGrace)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
	return 0
}

func selfCost() ServerCost {
	var c ServerCost
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		c.Allocs = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		c.AllocBytes = s[1].Value.Uint64()
	}
	return c
}

// errNoChild says the executable did not start a server: it does not
// call ServeChildIfRequested.
var errNoChild = errors.New("the executable does not serve an SQS child (its main or TestMain does not call sqsbackend.ServeChildIfRequested)")

// startChild runs this executable as the embedded server's process and
// returns a backend talking to it.
func startChild(ctx context.Context, cfg Config) (*Backend, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// -test.run=^$ keeps a test binary that lacks the hook from running
	// its tests as a child; the hook itself never parses flags.
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), ChildEnv+"="+cfg.Region)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	stop := func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), childURLPrefix); ok {
				urls <- u
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	var url string
	select {
	case url = <-urls:
	case <-exited:
		return nil, errNoChild
	case <-time.After(childStartTimeout):
		stop()
		return nil, fmt.Errorf("the SQS child process announced no URL within %s: %s", childStartTimeout, stderr.String())
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
	httpc, closeIdle := newHTTPClient()
	client := sqs.New(sqs.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   httpc,
		Retryer:      retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None }),
	})
	b := &Backend{
		Kind:     Embedded,
		Endpoint: url,
		Region:   cfg.Region,
		Prefix:   cfg.Prefix,
		Client:   client,
		log:      cfg.Logger,
		PID:      cmd.Process.Pid,
	}
	costClient := &http.Client{Timeout: 5 * time.Second}
	b.serverCost = func(ctx context.Context) (ServerCost, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+costPath, nil)
		if err != nil {
			return ServerCost{}, err
		}
		resp, err := costClient.Do(req)
		if err != nil {
			return ServerCost{}, err
		}
		defer resp.Body.Close()
		var c ServerCost
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&c); err != nil {
			return ServerCost{}, fmt.Errorf("reading the SQS child's cost: %w", err)
		}
		return c, nil
	}
	b.onClose(func(context.Context) error {
		costClient.CloseIdleConnections()
		_ = closeIdle(context.Background())
		stop()
		return nil
	})
	return b, nil
}

// ServerCost reads what the SQS server has spent so far. It is known only
// for the embedded server in its own process (ok is false otherwise: an
// in-process server's cost is part of the process's).
func (b *Backend) ServerCost(ctx context.Context) (ServerCost, bool, error) {
	if b == nil || b.serverCost == nil {
		return ServerCost{}, false, nil
	}
	c, err := b.serverCost(ctx)
	return c, err == nil, err
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	_, err := l.w.Write(q)
	return len(p), err
}
