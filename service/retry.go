package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/smithy-go"
)

// backoff spaces out retries of SQS calls. The delay doubles per attempt
// up to max and is jittered ("equal jitter": half fixed, half random) so
// that many pollers hitting the same throttled endpoint do not retry in
// lockstep.
type backoff struct {
	base, max time.Duration
	attempt   int
}

func newBackoff() backoff { return backoff{base: 50 * time.Millisecond, max: 5 * time.Second} }

func (b *backoff) next() time.Duration {
	d := b.max
	if b.attempt < 30 {
		if shifted := b.base << b.attempt; shifted < b.max {
			d = shifted
		}
	}
	b.attempt++
	half := d / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.attempt = 0 }

// sleepCtx waits for d or until ctx is done; it reports whether the full
// wait elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// throttlingCodes are client-fault error codes that still mean "try again
// later" rather than "this request is wrong".
var throttlingCodes = map[string]bool{
	"RequestThrottled":        true,
	"ThrottlingException":     true,
	"Throttling":              true,
	"ThrottledException":      true,
	"TooManyRequests":         true,
	"OverLimit":               true,
	"KmsThrottled":            true,
	"KMS.ThrottlingException": true,
	"ServiceUnavailable":      true,
	"InternalError":           true,
	"InternalFailure":         true,
	"RequestTimeout":          true,
	"RequestTimeoutException": true,
}

// permanent reports whether retrying err cannot help: the request itself is
// wrong (a client fault other than throttling). Network errors, timeouts,
// server faults and anything unrecognised are worth retrying.
func permanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	if throttlingCodes[apiErr.ErrorCode()] {
		return false
	}
	return apiErr.ErrorFault() == smithy.FaultClient
}

// retry calls op until it succeeds, fails permanently, or ctx ends. It
// returns nil on success and the last error otherwise. onError is told of
// every failed attempt (for counting and logging).
func retry(ctx context.Context, onError func(error), op func(context.Context) error) error {
	b := newBackoff()
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if onError != nil {
			onError(err)
		}
		if permanent(err) {
			return err
		}
		if !sleepCtx(ctx, b.next()) {
			return err
		}
	}
}
