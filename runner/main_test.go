package runner_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

func TestMain(m *testing.M) {
	// Scenarios run the embedded SQS server as a child process of this
	// very binary (see sqsbackend.ServeChildIfRequested).
	sqsbackend.ServeChildIfRequested()
	runTestConsumerIfRequested() // the external program of the command tests
	goleak.VerifyTestMain(m)
}
