// Package sqsbackend provides the SQS endpoint a scenario runs against:
// the in-process emulator (embedded, the default: ready in milliseconds,
// no Docker, no account), LocalStack in a container started through
// testcontainers-go, or any endpoint the AWS SDK can reach (a URL,
// AWS_ENDPOINT_URL_SQS, profiles, real AWS). Whatever the kind, the
// runner gets the same thing: a client, queues created with dead-letter
// redrive, and a Close that removes what was created.
package sqsbackend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
)

// Backend kinds; the list, with each kind's description, is
// backendkind's, and each kind's file registers its opener (register).
const (
	Embedded   = backendkind.Embedded
	LocalStack = backendkind.LocalStack
	Endpoint   = backendkind.Endpoint
)

// opener starts or connects to one kind of backend; cfg has its defaults.
type opener func(ctx context.Context, cfg Config) (*Backend, error)

// openers holds one opener per kind, filled by each kind's file in its
// init (register); TestEveryKindHasAnOpener checks it against backendkind.
var (
	openers    = map[string]opener{}
	registered []string // in registration order, duplicates kept, for the test
)

// register makes kind openable. Every backend file calls it once, from
// init, with a kind backendkind lists.
func register(kind string, open opener) {
	registered = append(registered, kind)
	openers[kind] = open
}

// DefaultLocalStackImage is pinned: images from 4.15 on refuse to start
// without an account token, and an unpinned tag would change under CI.
const DefaultLocalStackImage = "localstack/localstack:4.14"

// DefaultRegion is used when neither the config nor the environment names one.
const DefaultRegion = "us-east-1"

// Config says which backend to open.
type Config struct {
	// Kind is embedded (default), localstack or endpoint.
	Kind string
	// Endpoint is the SQS URL for the endpoint kind. Empty means the SDK's
	// default chain: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, profiles, AWS.
	Endpoint string
	// Region defaults to AWS_REGION, AWS_DEFAULT_REGION, then us-east-1.
	Region string
	// Prefix is put before every queue name. The endpoint kind defaults to
	// a prefix unique to this run, so that concurrent runs sharing one
	// account never touch each other's queues.
	Prefix string
	// Image is the LocalStack image (default DefaultLocalStackImage).
	Image string
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Logger receives progress (default: discarded).
	Logger *slog.Logger
	// InProcess keeps the embedded server in this process. By default it
	// runs in a child process (see child.go) so that its CPU time and
	// allocations are not counted as the service's.
	InProcess bool
}

// Backend is an SQS endpoint ready for use.
type Backend struct {
	Kind     string
	Endpoint string // base URL the client talks to ("aws" for the SDK's own resolution)
	Region   string
	Prefix   string
	Client   *sqs.Client
	// StartDuration is how long the backend took to be ready: the
	// emulator listening, the container healthy, the endpoint answering.
	StartDuration time.Duration
	// PID is the embedded server's process when it runs in a child
	// process, 0 otherwise.
	PID int
	// Warnings say how the backend differs from what was asked (the
	// embedded server kept in-process because the executable cannot
	// serve it as a child).
	Warnings []string

	serverCost func(context.Context) (ServerCost, error)

	log *slog.Logger
	// deleteOnClose is true where queues outlive the backend (a remote
	// endpoint); the emulator and the container take their queues with them.
	deleteOnClose bool
	// guardExisting refuses to adopt a queue that already exists, because
	// Close deletes what CreateQueues returned.
	guardExisting bool

	mu      sync.Mutex
	created []string // queue URLs, in creation order
	closers []func(context.Context) error
	closed  bool
}

// Open starts or connects to the backend cfg names. Its errors carry
// exitcode.Environment (or exitcode.Usage for a bad Config) and say what
// to do next.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	cfg = withDefaults(cfg)
	if open, ok := openers[cfg.Kind]; ok {
		return open(ctx, cfg)
	}
	return nil, exitcode.Errorf(exitcode.Usage, "sqs backend %q is not known: use %s", cfg.Kind, backendkind.Choices())
}

func withDefaults(cfg Config) Config {
	cfg.Kind = strings.ToLower(strings.TrimSpace(cfg.Kind))
	if cfg.Kind == "" {
		cfg.Kind = backendkind.Default
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Region == "" {
		cfg.Region = firstNonEmpty(cfg.Getenv("AWS_REGION"), cfg.Getenv("AWS_DEFAULT_REGION"), DefaultRegion)
	}
	if cfg.Image == "" {
		cfg.Image = DefaultLocalStackImage
	}
	return cfg
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func (b *Backend) onClose(f func(context.Context) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closers = append(b.closers, f)
}

// Close deletes every queue this backend created (where queues outlive
// it), then stops the emulator or terminates the container and releases
// connections. Calling it again does nothing.
func (b *Backend) Close(ctx context.Context) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	created, closers := b.created, b.closers
	b.created, b.closers = nil, nil
	b.mu.Unlock()

	var errs []error
	if b.deleteOnClose && b.Client != nil {
		for i := len(created) - 1; i >= 0; i-- {
			if err := deleteQueue(ctx, b.Client, created[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// The client's idle connections go first. A server's graceful
	// shutdown (the emulator's Close) counts a connection the client
	// dialed but never sent a request on as busy for its first 5 s, and
	// the SDK's transport dials such spares under load: that wait was the
	// 0-5 s each repeat spent silently in "shutdown".
	if b.Client != nil {
		if hc, ok := b.Client.Options().HTTPClient.(interface{ CloseIdleConnections() }); ok {
			hc.CloseIdleConnections()
		}
	}
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("sqs backend %s: cleaning up: %w", b.Kind, errors.Join(errs...)))
	}
	return nil
}

// newHTTPClient is the SDK's own buildable client (so the config loader
// can still add AWS_CA_BUNDLE's roots to it) with more idle connections,
// as many pollers share one client, and a handle to close them: idle
// keep-alive connections are goroutines that would outlive Close.
func newHTTPClient() (*awshttp.BuildableClient, func(context.Context) error) {
	var mu sync.Mutex
	var transports []*http.Transport
	c := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 1024
		tr.MaxIdleConnsPerHost = 1024
		// Every copy the loader derives builds its own transport through
		// this option; remember each so that all of them get closed.
		mu.Lock()
		transports = append(transports, tr)
		mu.Unlock()
	})
	return c, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
		return nil
	}
}
