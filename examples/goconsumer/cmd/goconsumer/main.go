// Command goconsumer runs the example consumer until SIGTERM or SIGINT,
// configured by the environment (see package goconsumer).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sqsperf/sqsperf/examples/goconsumer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "goconsumer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := goconsumer.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	client, err := goconsumer.NewClient(ctx, os.Getenv, nil)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("consuming", "jobs", cfg.JobsURL, "tasks", cfg.TasksURL, "workers", cfg.Workers, "queue", cfg.MaxQueue)
	return goconsumer.New(client, cfg, log).Run(ctx)
}
