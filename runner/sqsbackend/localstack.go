package sqsbackend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func init() { register(LocalStack, openLocalStack) }

// ErrDockerUnavailable is wrapped by the error of the localstack backend
// (and of CheckDocker) when no Docker engine answers.
var ErrDockerUnavailable = errors.New("Docker is not available")

// dockerCheckTimeout bounds the health probe; a missing engine fails at
// once, a hung one should not hold a CI job.
const dockerCheckTimeout = 10 * time.Second

// CheckDocker reports whether testcontainers can reach a healthy Docker
// engine. Its error carries exitcode.Environment, wraps
// ErrDockerUnavailable and says how to proceed; tests skip with it.
func CheckDocker(ctx context.Context) (err error) {
	// testcontainers panics in some helpers when no engine is configured;
	// a missing Docker is an environment problem, never a crash.
	defer func() {
		if r := recover(); r != nil {
			err = dockerUnavailable(fmt.Errorf("%v", r))
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return dockerUnavailable(err)
	}
	defer provider.Close()
	hctx, cancel := context.WithTimeout(ctx, dockerCheckTimeout)
	defer cancel()
	if err := provider.Health(hctx); err != nil {
		return dockerUnavailable(err)
	}
	return nil
}

func dockerUnavailable(cause error) error {
	return exitcode.Wrap(exitcode.Environment, fmt.Errorf(
		"sqs backend localstack: %w (%v): install and start Docker so that 'docker info' works, or use the in-process server with 'backend: embedded' in the scenario (or -backend embedded)",
		ErrDockerUnavailable, cause))
}

// openLocalStack starts LocalStack (SQS only) in a container. The
// container is registered for termination before the start error is
// checked, so a container that started but failed its health check is
// removed too.
func openLocalStack(ctx context.Context, cfg Config) (*Backend, error) {
	if err := CheckDocker(ctx); err != nil {
		return nil, err
	}
	token := cfg.Getenv("LOCALSTACK_AUTH_TOKEN")
	env := map[string]string{
		"SERVICES": "sqs",
		// Path-style queue URLs need no DNS for *.localhost.localstack.cloud.
		"SQS_ENDPOINT_STRATEGY": "path",
	}
	if token != "" {
		env["LOCALSTACK_AUTH_TOKEN"] = token
	}
	redact := func(s string) string {
		if token == "" {
			return s
		}
		return strings.ReplaceAll(s, token, "[REDACTED]")
	}
	cfg.Logger.Info("starting LocalStack", "image", cfg.Image, "auth_token_set", token != "")

	b := &Backend{Kind: LocalStack, Region: cfg.Region, Prefix: cfg.Prefix, log: cfg.Logger}
	start := time.Now()
	ctr, err := localstack.Run(ctx, cfg.Image,
		testcontainers.WithEnv(env),
		testcontainers.WithLogger(slogPrintf{log: cfg.Logger, redact: redact}),
	)
	if ctr != nil {
		b.onClose(func(context.Context) error { return testcontainers.TerminateContainer(ctr) })
	}
	if err != nil {
		closeErr := b.Close(ctx)
		return nil, exitcode.Errorf(exitcode.Environment,
			"sqs backend localstack: starting %s: %s; check 'docker info', that the image can be pulled (images from 4.15 on need LOCALSTACK_AUTH_TOKEN), or use 'backend: embedded'",
			cfg.Image, redact(errors.Join(err, closeErr).Error()))
	}
	endpoint, err := ctr.PortEndpoint(ctx, "4566/tcp", "http")
	if err != nil {
		closeErr := b.Close(ctx)
		return nil, exitcode.Errorf(exitcode.Environment, "sqs backend localstack: finding the container's SQS port: %s", redact(errors.Join(err, closeErr).Error()))
	}
	httpc, closeIdle := newHTTPClient()
	b.onClose(closeIdle)
	b.Endpoint = endpoint
	b.Client = sqs.New(sqs.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   httpc,
	})
	b.StartDuration = time.Since(start)
	cfg.Logger.Info("sqs backend ready", "kind", LocalStack, "endpoint", endpoint, "start", b.StartDuration)
	return b, nil
}

// slogPrintf routes testcontainers' progress lines to the runner's logger
// at debug level, with the auth token removed from anything it prints.
type slogPrintf struct {
	log    *slog.Logger
	redact func(string) string
}

func (l slogPrintf) Printf(format string, args ...any) {
	l.log.Debug(strings.TrimSpace(l.redact(fmt.Sprintf(format, args...))), "source", "testcontainers")
}
