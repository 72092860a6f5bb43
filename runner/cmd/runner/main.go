// Command runner runs performance scenarios against an SQS consumer and
// fails the build on a threshold breach or a regression. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sqsperf/sqsperf/runner/cli"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

func main() {
	// The embedded SQS server runs as a child process of this binary.
	sqsbackend.ServeChildIfRequested()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := interruptible(context.Background(), sigs, os.Stderr, func() { os.Exit(int(exitcode.Environment)) })
	err := cli.Run(ctx, cli.NewState(), os.Args[1:])
	stop()
	signal.Stop(sigs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runner: %v\n", err)
	}
	os.Exit(int(exitcode.Of(err)))
}

// errSignal is the cause of a context cancelled by the first signal.
var errSignal = errors.New("stopped by a signal")

// interruptible returns a context that the first signal on sigs cancels
// (the run stops, cleans up within its bound and writes what it measured);
// a second signal calls exit at once, for a user who will not wait for
// the clean-up. stop ends the watch.
func interruptible(parent context.Context, sigs <-chan os.Signal, log io.Writer, exit func()) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case s := <-sigs:
			fmt.Fprintf(log, "runner: %v: stopping; cleaning up and writing what was measured so far (send it again to exit at once)\n", s)
			cancel(fmt.Errorf("%w (%v)", errSignal, s))
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(log, "runner: %v again: exiting now, without cleaning up\n", s)
			exit()
		case <-done:
		}
	}()
	return ctx, func() {
		select {
		case <-done:
		default:
			close(done)
		}
		<-finished
		cancel(nil)
	}
}
