package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/sqsemu"
)

const sqsSynopsis = "runner sqs serve [-addr 127.0.0.1:9324] [-region us-east-1] [-queue SPEC]... [-allow-remote] [-ledger]"

const sqsAbout = `Serves the embedded SQS emulator (AWS JSON 1.0 protocol) until interrupted.
Point any AWS SDK at it with AWS_ENDPOINT_URL_SQS=http://127.0.0.1:9324
(any access key and secret; region as given).

-queue SPEC creates a queue at start; repeat it for more queues:
  -queue jobs                                   a standard queue
  -queue jobs.fifo                              a FIFO queue (name ends in .fifo)
  -queue jobs:dlq=jobs-dlq,maxReceiveCount=3    with a dead-letter queue (created too)
  -queue jobs:visibilityTimeout=60,delaySeconds=5
Keys: dlq, maxReceiveCount (default 3), visibilityTimeout, delaySeconds,
retention (seconds), waitTime (seconds).

-ledger accounts for every message from the server's view; GET
http://ADDR/_sqsperf/ledger answers with sent, processed, dead-lettered,
lost (with ids), in flight, waiting, redeliveries, queue wait and time in
service as JSON.`

// cmdSQS implements "runner sqs serve".
func cmdSQS(ctx context.Context, st *State, args []string) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(st.Stdout, "usage: %s\n\n%s\n", sqsSynopsis, sqsAbout)
		return errHelpShown
	}
	if len(args) == 0 || args[0] != "serve" {
		what := "missing subcommand"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown subcommand %q", args[0])
		}
		return exitcode.Errorf(exitcode.Usage, "sqs: %s: use 'runner sqs serve'\nrun 'runner sqs -h' for usage", what)
	}
	fs := newFlagSet("sqs serve", sqsSynopsis, sqsAbout)
	addr := fs.String("addr", "127.0.0.1:9324", "listen address (host:port); loopback unless -allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback listen address (the emulator has no authentication)")
	region := fs.String("region", sqsemu.DefaultRegion, "region in queue ARNs")
	withLedger := fs.Bool("ledger", false, "account for every message; GET "+ledger.Path+" on the same address answers with JSON")
	var queueSpecs stringList
	fs.Var(&queueSpecs, "queue", "queue to create at start: NAME[:dlq=NAME,maxReceiveCount=N,...] (repeatable)")
	if err := parseFlags(st, fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return exitcode.Errorf(exitcode.Usage, "sqs serve: unexpected argument %q (flags only)\nrun 'runner sqs serve -h' for usage", fs.Arg(0))
	}
	specs := make([]queueSpec, 0, len(queueSpecs))
	for _, s := range queueSpecs {
		spec, err := parseQueueSpec(s)
		if err != nil {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("runner sqs serve: -queue %q: %w", s, err))
		}
		specs = append(specs, spec)
	}
	if err := checkLoopback(*addr, *allowRemote); err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}

	logger := slog.New(slog.NewTextHandler(st.Stderr, nil))
	opts := []sqsemu.Option{sqsemu.WithRegion(*region), sqsemu.WithLogger(logger)}
	if *withLedger {
		opts = append(opts, ledger.ServerOptions(ledger.New())...)
	} else {
		opts = append(opts, sqsemu.WithHTTPWrapper(noLedger))
	}
	srv, err := sqsemu.Listen(*addr, opts...)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = "; another process uses that port: pick another with -addr 127.0.0.1:PORT"
		}
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("runner sqs serve: cannot listen on %s: %w%s", *addr, err, hint))
	}
	defer srv.Close()

	fmt.Fprintf(st.Stdout, "SQS endpoint: %s\n", srv.URL)
	fmt.Fprintf(st.Stdout, "use it with:  AWS_ENDPOINT_URL_SQS=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n", srv.URL, *region)
	client := sqsemu.NewClient(srv.URL, *region)
	for _, spec := range specs {
		urls, err := spec.create(ctx, client, *region)
		if err != nil {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("runner sqs serve: creating queue %q: %w", spec.name, err))
		}
		for _, u := range urls {
			fmt.Fprintf(st.Stdout, "queue: %s\n", u)
		}
	}
	fmt.Fprintln(st.Stdout, "serving; interrupt (Ctrl-C) to stop")
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(st.Stdout, "stopped")
	return nil
}

// noLedger answers the ledger's path, on a server started without
// -ledger, with what to do instead of an SQS protocol error: a harness
// that forgot the flag learns why it has no accounting.
func noLedger(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ledger.Path {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no ledger: this server was started without -ledger; restart it with 'runner sqs serve -ledger' to account for every message at "+ledger.Path, http.StatusNotFound)
	})
}

// checkLoopback refuses to expose the unauthenticated emulator beyond
// this machine unless asked to.
func checkLoopback(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("runner sqs serve: -addr %q: want host:port, e.g. 127.0.0.1:9324", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("runner sqs serve: -addr %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "all interfaces"
	}
	return fmt.Errorf("runner sqs serve: refusing to listen on %s (%s): it is not a loopback address and the emulator has no authentication; use -addr 127.0.0.1:%s, or add -allow-remote if other machines must reach it", addr, shown, port)
}

type queueSpec struct {
	name            string
	dlq             string
	maxReceiveCount int
	attributes      map[string]string
}

// parseQueueSpec reads NAME[:key=value,...].
func parseQueueSpec(s string) (queueSpec, error) {
	name, opts, _ := strings.Cut(s, ":")
	spec := queueSpec{name: name, maxReceiveCount: 3, attributes: map[string]string{}}
	if name == "" {
		return spec, errors.New("missing queue name: want NAME[:dlq=NAME,maxReceiveCount=N]")
	}
	if strings.HasSuffix(name, ".fifo") {
		spec.attributes["FifoQueue"] = "true"
	}
	if opts == "" {
		return spec, nil
	}
	attrKeys := map[string]string{
		"visibilityTimeout": "VisibilityTimeout", "delaySeconds": "DelaySeconds",
		"retention": "MessageRetentionPeriod", "waitTime": "ReceiveMessageWaitTimeSeconds",
	}
	for _, kv := range strings.Split(opts, ",") {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || value == "" {
			return spec, fmt.Errorf("option %q: want key=value (keys: dlq, maxReceiveCount, visibilityTimeout, delaySeconds, retention, waitTime)", kv)
		}
		switch key {
		case "dlq":
			spec.dlq = value
		case "maxReceiveCount":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > 1000 {
				return spec, fmt.Errorf("maxReceiveCount=%s: want a whole number from 1 to 1000", value)
			}
			spec.maxReceiveCount = n
		default:
			attr, known := attrKeys[key]
			if !known {
				return spec, fmt.Errorf("unknown option %q (keys: dlq, maxReceiveCount, visibilityTimeout, delaySeconds, retention, waitTime)", key)
			}
			if _, err := strconv.Atoi(value); err != nil {
				return spec, fmt.Errorf("%s=%s: want a whole number of seconds", key, value)
			}
			spec.attributes[attr] = value
		}
	}
	return spec, nil
}

// create makes the spec's dead-letter queue (if any) and the queue, and
// returns their URLs.
func (q queueSpec) create(ctx context.Context, c *sqs.Client, region string) ([]string, error) {
	var urls []string
	if q.dlq != "" {
		dlqAttrs := map[string]string{}
		if strings.HasSuffix(q.dlq, ".fifo") {
			dlqAttrs["FifoQueue"] = "true"
		}
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.dlq), Attributes: dlqAttrs})
		if err != nil {
			return nil, fmt.Errorf("dead-letter queue %q: %w", q.dlq, err)
		}
		urls = append(urls, aws.ToString(out.QueueUrl))
		q.attributes["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:%s","maxReceiveCount":%d}`,
			region, sqsemu.DefaultAccount, q.dlq, q.maxReceiveCount)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.name), Attributes: q.attributes})
	if err != nil {
		return nil, err
	}
	return append(urls, aws.ToString(out.QueueUrl)), nil
}
