package sqsbackend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func init() { register(Endpoint, openEndpoint) }

// probeTimeout bounds the first request that proves the endpoint answers.
const probeTimeout = 15 * time.Second

// openEndpoint connects to any SQS endpoint: cfg.Endpoint, else
// AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL, else the SDK's resolution for
// the region (real AWS). Credentials come from the SDK's default chain.
func openEndpoint(ctx context.Context, cfg Config) (*Backend, error) {
	endpoint := firstNonEmpty(cfg.Endpoint, cfg.Getenv("AWS_ENDPOINT_URL_SQS"), cfg.Getenv("AWS_ENDPOINT_URL"))
	loopback := false
	// shown is the endpoint as logs and errors may show it: a URL can
	// carry user:password, which must not end up in a CI log.
	shown := redactEndpoint(endpoint)
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, exitcode.Errorf(exitcode.Usage, "sqs backend endpoint: %q is not an http(s) URL such as http://127.0.0.1:9324 or https://sqs.eu-west-1.amazonaws.com", shown)
		}
		loopback = isLoopback(u.Hostname())
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = uniquePrefix(time.Now())
	}

	start := time.Now()
	httpc, closeIdle := newHTTPClient()
	opts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region), config.WithHTTPClient(httpc)}
	if loopback {
		// An emulator on this machine accepts any credentials, and asking
		// the instance metadata service for some would send a request off
		// the machine and wait for its timeout.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		if cfg.Getenv("AWS_ACCESS_KEY_ID") == "" && cfg.Getenv("AWS_PROFILE") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		_ = closeIdle(ctx)
		return nil, exitcode.Errorf(exitcode.Environment, "sqs backend endpoint: loading the AWS configuration: %v; check AWS_PROFILE, ~/.aws/config and the credentials", err)
	}
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	b := &Backend{
		Kind:          Endpoint,
		Endpoint:      shown,
		Region:        cfg.Region,
		Prefix:        prefix,
		Client:        client,
		log:           cfg.Logger,
		deleteOnClose: true,
		guardExisting: true,
	}
	if b.Endpoint == "" {
		b.Endpoint = "aws (SDK endpoint resolution, region " + cfg.Region + ")"
	}
	b.onClose(closeIdle)

	probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := client.ListQueues(probeCtx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(1)}); err != nil {
		_ = b.Close(ctx)
		return nil, exitcode.Errorf(exitcode.Environment, "sqs backend endpoint: %s does not answer ListQueues: %s; check the endpoint URL (-endpoint or AWS_ENDPOINT_URL_SQS), the region and the credentials (the SDK's default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID...)", b.Endpoint, redactIn(err.Error(), endpoint))
	}
	b.StartDuration = time.Since(start)
	cfg.Logger.Info("sqs backend ready", "kind", Endpoint, "endpoint", b.Endpoint, "prefix", prefix, "start", b.StartDuration)
	return b, nil
}

// redactEndpoint hides the password of an endpoint URL's user:password
// (the user stays, to tell accounts apart). Text that does not parse as a
// URL is redacted by hand from "://" to the last '@' before the host, so
// a malformed URL quoted in an error cannot leak it either.
func redactEndpoint(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			return endpoint // as written: re-encoding would change it
		}
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(endpoint, "://")
	if !ok {
		return endpoint
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		return scheme + "://xxxxx@" + rest[at+1:]
	}
	return endpoint
}

// redactIn replaces the endpoint wherever it appears in text such as an
// SDK error. (net/http already hides the password of the URLs it quotes.)
func redactIn(text, endpoint string) string {
	if endpoint == "" {
		return text
	}
	return strings.ReplaceAll(text, endpoint, redactEndpoint(endpoint))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// uniquePrefix names this run's queues: readable (when it ran) and unique
// (random), short enough to leave room for the queue names within SQS's
// 80 characters.
func uniquePrefix(now time.Time) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return "sqsperf-" + strconv.FormatInt(now.Unix(), 36) + "-" + hex.EncodeToString(r[:]) + "-"
}
