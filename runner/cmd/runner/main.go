// Command runner runs performance scenarios against an SQS consumer and
// fails the build on a threshold breach or a regression. See README.md.
package main

import (
	"context"
	"fmt"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.NewState(), os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "runner: %v\n", err)
	}
	os.Exit(int(exitcode.Of(err)))
}
