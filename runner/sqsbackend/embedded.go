package sqsbackend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

func init() { register(Embedded, openEmbedded) }

// openEmbedded starts the in-process emulator on a free loopback port.
// Its start time includes one answered request, as for the other kinds,
// so that the figures compare like with like.
func openEmbedded(ctx context.Context, cfg Config) (*Backend, error) {
	start := time.Now()
	var warnings []string
	if !cfg.InProcess {
		b, err := startChild(ctx, cfg)
		if err == nil {
			if _, err = b.Client.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)}); err == nil {
				b.StartDuration = time.Since(start)
				cfg.Logger.Info("sqs backend ready", "kind", Embedded, "endpoint", b.Endpoint, "pid", b.PID, "start", b.StartDuration)
				return b, nil
			}
			_ = b.Close(ctx)
		}
		warnings = append(warnings, fmt.Sprintf("the embedded SQS server runs in-process, so cpu.per_message and alloc.* include its cost: %v", err))
		cfg.Logger.Warn("sqs backend: no child process", "err", err)
	}
	led, receives := ledger.New(), &receiveCounter{}
	opts := []sqsemu.Option{sqsemu.WithRegion(cfg.Region), sqsemu.WithLogger(cfg.Logger), sqsemu.WithObserver(led.Observe),
		sqsemu.WithHTTPWrapper(func(h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle(receivesPath, receives)
			mux.Handle("/", led.Wrap(receives.wrap(h)))
			return mux
		})}
	srv, err := sqsemu.Listen("127.0.0.1:0", opts...)
	if err != nil {
		return nil, exitcode.Errorf(exitcode.Environment, "sqs backend embedded: cannot listen on 127.0.0.1: %v; check that loopback networking works and ports are free", err)
	}
	b := &Backend{
		Kind:     Embedded,
		Endpoint: srv.URL,
		Region:   cfg.Region,
		Prefix:   cfg.Prefix,
		Client:   srv.Client(),
		log:      cfg.Logger,
		Warnings: warnings,
	}
	b.onClose(func(context.Context) error {
		srv.Close()
		return nil
	})
	if _, err := b.Client.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)}); err != nil {
		closeErr := b.Close(ctx)
		return nil, exitcode.Errorf(exitcode.Environment, "sqs backend embedded: the server does not answer on %s: %v", srv.URL, errors.Join(err, closeErr))
	}
	b.StartDuration = time.Since(start)
	cfg.Logger.Info("sqs backend ready", "kind", Embedded, "endpoint", srv.URL, "start", b.StartDuration)
	return b, nil
}
