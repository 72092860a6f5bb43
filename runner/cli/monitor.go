package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/monitor"
)

// cmdMonitor shows queues live: runner monitor -endpoint URL [-queue NAME...].
func cmdMonitor(ctx context.Context, st *State, args []string) error {
	fs := newFlagSet("monitor", "runner monitor -endpoint URL [-queue NAME]... [flags]",
		"Shows the depth, in-flight count and rate of SQS queues live (or once with -once).")
	endpoint := fs.String("endpoint", "", "SQS endpoint `URL`, such as http://127.0.0.1:9324 (default: the AWS SDK's chain, e.g. AWS_ENDPOINT_URL_SQS or real SQS)")
	var queues stringList
	fs.Var(&queues, "queue", "queue `NAME` or URL to show (repeatable; default: every queue of the endpoint)")
	prefix := fs.String("prefix", "", "show only queues whose name starts with `PREFIX`")
	interval := fs.Duration("interval", time.Second, "refresh every `DURATION`")
	once := fs.Bool("once", false, "print one sample as plain lines and exit (exit code 4 if the endpoint cannot be read)")
	backlog := fs.Int64("backlog", monitor.DefaultThresholds.Backlog, "total messages from which a queue shows yellow")
	backlogRed := fs.Int64("backlog-red", monitor.DefaultThresholds.BacklogRed, "total messages from which a queue shows red")
	stalled := fs.Duration("stalled", monitor.DefaultThresholds.StalledAfter, "flag a queue whose visible messages sit with none in flight for `DURATION`")
	region := fs.String("region", "", "AWS `REGION` (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
	if err := parseFlags(st, fs, args); err != nil {
		return err
	}
	if *endpoint == "" && !envHasAWSEndpoint(st.Getenv) && !envHasAWSCredentials(st.Getenv) {
		// Without an endpoint the SDK would go to real SQS and fail on
		// missing credentials, which says nothing about what to pass.
		return exitcode.Errorf(exitcode.Usage, "monitor: no SQS endpoint: pass -endpoint URL (e.g. -endpoint http://127.0.0.1:9324 for 'runner sqs serve'), set AWS_ENDPOINT_URL_SQS, or set AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) to watch real SQS")
	}
	if fs.NArg() > 0 {
		return exitcode.Errorf(exitcode.Usage, "monitor: unexpected argument %q: name queues with -queue NAME", fs.Arg(0))
	}
	if *interval < 100*time.Millisecond {
		return exitcode.Errorf(exitcode.Usage, "monitor: -interval %s is too short: use 100ms or more (each refresh calls SQS once per queue)", *interval)
	}
	if *backlog < 1 || *backlogRed < *backlog {
		return exitcode.Errorf(exitcode.Usage, "monitor: need 1 <= -backlog (%d) <= -backlog-red (%d)", *backlog, *backlogRed)
	}
	api, err := newMonitorClient(ctx, st, *endpoint, *region)
	if err != nil {
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("monitor: %w", err))
	}

	fixed, names := splitQueueArgs(queues)
	title := *endpoint
	if title == "" {
		title = "(AWS SDK default endpoint)"
	}
	opts := monitor.Options{Interval: *interval, Interactive: st.Interactive && !*once, Title: title, Names: names, Prefix: *prefix,
		Thresholds: monitor.Thresholds{Backlog: *backlog, BacklogRed: *backlogRed, StalledAfter: *stalled}}
	m := monitor.New(st.Stdout, api, fixed, opts)
	if !*once {
		return m.Run(ctx)
	}
	snap := m.Sample(ctx)
	if err := m.Render(snap); err != nil {
		return err
	}
	if bad := unreadable(snap); bad != "" {
		return exitcode.Errorf(exitcode.Environment, "monitor: %s at %s: check the endpoint URL and that the queues exist (runner monitor -endpoint URL lists them all)", bad, title)
	}
	return nil
}

// splitQueueArgs keeps a fixed set when every -queue is a URL; otherwise
// queues are listed each refresh and filtered by name, so a monitor
// started before a scenario creates its queues shows them once they exist.
func splitQueueArgs(queues []string) (fixed map[string]string, names []string) {
	allURLs := len(queues) > 0
	for _, q := range queues {
		allURLs = allURLs && isQueueURL(q)
	}
	if allURLs {
		fixed = map[string]string{}
		for _, q := range queues {
			fixed[monitor.QueueName(q)] = q
		}
		return fixed, nil
	}
	for _, q := range queues {
		names = append(names, monitor.QueueName(q))
	}
	return nil, names
}

func isQueueURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// unreadable says what could not be read, or "" when every queue was.
func unreadable(s monitor.Snapshot) string {
	if s.Err != "" {
		return s.Err
	}
	var bad []string
	for _, q := range s.Queues {
		if q.Err != "" {
			bad = append(bad, q.Name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return "cannot read queue " + strings.Join(bad, ", ")
}

// newMonitorClient builds a client for endpoint (or the SDK's default chain
// when empty). An explicit endpoint without credentials in the environment
// is taken to be an emulator, which accepts any signature: static "test"
// credentials spare the user from inventing some.
func newMonitorClient(ctx context.Context, st *State, endpoint, region string) (monitor.API, error) {
	if region == "" {
		region = monitorFirstNonEmpty(st.Getenv("AWS_REGION"), st.Getenv("AWS_DEFAULT_REGION"), "us-east-1")
	}
	loadOpts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" && !envHasAWSCredentials(st.Getenv) {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// envHasAWSEndpoint reports whether the AWS SDK will find an endpoint in
// the environment without -endpoint.
func envHasAWSEndpoint(getenv func(string) string) bool {
	return getenv("AWS_ENDPOINT_URL_SQS") != "" || getenv("AWS_ENDPOINT_URL") != ""
}

func envHasAWSCredentials(getenv func(string) string) bool {
	return getenv("AWS_ACCESS_KEY_ID") != "" || getenv("AWS_PROFILE") != "" ||
		getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" ||
		getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != ""
}

func monitorFirstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
