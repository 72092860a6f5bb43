package service

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
)

func TestPermanentErrors(t *testing.T) {
	assert.False(t, permanent(errors.New("connection reset")), "network errors are retried")
	assert.False(t, permanent(context.DeadlineExceeded))
	assert.False(t, permanent(throttled()), "throttling is a client fault worth retrying")
	assert.False(t, permanent(serverError()))
	assert.False(t, permanent(fmt.Errorf("wrapped: %w", &types.RequestThrottled{})))
	assert.True(t, permanent(&types.QueueDoesNotExist{}))
	assert.True(t, permanent(fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: "InvalidParameterValue", Fault: smithy.FaultClient})))
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	b := newBackoff()
	prevMax := time.Duration(0)
	for i := range 40 {
		d := b.next()
		ceiling := min(b.base<<min(i, 30), b.max)
		assert.GreaterOrEqual(t, d, ceiling/2, "attempt %d", i)
		assert.LessOrEqual(t, d, ceiling, "attempt %d", i)
		prevMax = max(prevMax, d)
	}
	assert.LessOrEqual(t, prevMax, b.max)
	b.reset()
	assert.LessOrEqual(t, b.next(), b.base)
}

func TestRetryStopsOnSuccessPermanentErrorOrContext(t *testing.T) {
	calls := 0
	err := retry(t.Context(), nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return throttled()
		}
		return nil
	})
	assert.NoError(t, err)
	assert.Equal(t, 3, calls)

	calls = 0
	var seen []error
	err = retry(t.Context(), func(err error) { seen = append(seen, err) }, func(context.Context) error {
		calls++
		return &types.QueueDoesNotExist{}
	})
	assert.ErrorAs(t, err, new(*types.QueueDoesNotExist))
	assert.Equal(t, 1, calls, "a permanent error is not retried")
	assert.Len(t, seen, 1)

	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	err = retry(ctx, nil, func(context.Context) error {
		calls++
		cancel()
		return serverError()
	})
	assert.Error(t, err)
	assert.Equal(t, 1, calls, "a cancelled context ends the retries")
}
