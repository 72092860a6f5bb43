package cli

import (
	"context"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

// TODO(integration): replaced by the real command; kept only so the CLI builds meanwhile.
func cmdRun(ctx context.Context, st *State, args []string) error {
	return exitcode.Errorf(exitcode.Usage, "runner run: not implemented yet")
}
