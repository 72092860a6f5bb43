// Command service runs the export service alone against any SQS endpoint,
// configured from environment variables (see service.ConfigFromEnv):
//
//	SQS_EXPORT_JOBS_URL=... SQS_DOWNLOAD_TASKS_URL=... SQS_DLQ_URL=... \
//	AWS_ENDPOINT_URL_SQS=http://127.0.0.1:9324 AWS_REGION=us-east-1 \
//	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test service
//
// SIGINT or SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}
