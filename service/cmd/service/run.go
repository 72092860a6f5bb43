package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/service"
)

// Variables read here in addition to those of service.ConfigFromEnv.
const (
	envEndpointSQS = "AWS_ENDPOINT_URL_SQS"
	envEndpoint    = "AWS_ENDPOINT"
	envRegion      = "AWS_REGION"
	envAccessKey   = "AWS_ACCESS_KEY_ID"
	envSecretKey   = "AWS_SECRET_ACCESS_KEY"
	envSessionTok  = "AWS_SESSION_TOKEN"
	envLogLevel    = "LOG_LEVEL"
)

// run configures the service from getenv, runs it until ctx ends and
// shuts it down gracefully. Every setting is checked before anything
// starts, so a bad one stops it at once with the variable's name.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := service.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	level, err := logLevel(getenv(envLogLevel))
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	client, err := newClient(ctx, getenv)
	if err != nil {
		return err
	}
	svc, err := service.New(client, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "service: consuming %s and %s (dead letters to %s)\n", cfg.JobsQueueURL, cfg.TasksQueueURL, cfg.DeadLetterQueueURL)
	err = svc.Run(ctx)
	st := svc.Stats()
	fmt.Fprintf(stdout, "service: stopped: received %d messages, processed %d tasks, failed %d, crashed %d, overflowed %d, dead-lettered %d, released %d\n",
		st.Received, st.Processed, st.Failed, st.Crashed, st.Overflowed, st.DeadLettered, st.Released)
	return err
}

func logLevel(v string) (slog.Level, error) {
	if v == "" {
		return slog.LevelInfo, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(v)); err != nil {
		return 0, fmt.Errorf("%s=%q: want debug, info, warn or error", envLogLevel, v)
	}
	return level, nil
}

// newClient builds the SQS client through the SDK's default chain
// (environment, shared config and credentials files, SSO, IMDS), with the
// endpoint override and explicit keys taken from getenv so that the
// function is testable without touching the process environment.
func newClient(ctx context.Context, getenv func(string) string) (*sqs.Client, error) {
	endpointVar, endpoint := envEndpointSQS, strings.TrimSpace(getenv(envEndpointSQS))
	if endpoint == "" {
		endpointVar, endpoint = envEndpoint, strings.TrimSpace(getenv(envEndpoint))
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s=%q: want an http or https URL such as http://127.0.0.1:9324", endpointVar, endpoint)
		}
	}
	var opts []func(*config.LoadOptions) error
	if region := strings.TrimSpace(getenv(envRegion)); region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	accessKey, secretKey := getenv(envAccessKey), getenv(envSecretKey)
	switch {
	case accessKey != "" && secretKey == "":
		return nil, fmt.Errorf("%s is set but %s is not; set both, or neither to use a profile", envAccessKey, envSecretKey)
	case accessKey == "" && secretKey != "":
		return nil, fmt.Errorf("%s is set but %s is not; set both, or neither to use a profile", envSecretKey, envAccessKey)
	case accessKey != "":
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secretKey, getenv(envSessionTok))))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w (check AWS_PROFILE and AWS_CONFIG_FILE)", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("%s is not set and no profile names a region; set it (for example %s=us-east-1)", envRegion, envRegion)
	}
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := awsCfg.Credentials.Retrieve(checkCtx); err != nil {
		return nil, fmt.Errorf("no AWS credentials found: set %s and %s, or AWS_PROFILE (%w)", envAccessKey, envSecretKey, err)
	}
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
