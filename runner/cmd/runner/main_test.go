package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/internal/syncbuf"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestInterruptFirstSignalCancelsSecondExits: the first signal cancels the
// run's context with a cause that says so; the second exits at once.
func TestInterruptFirstSignalCancelsSecondExits(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	var log syncbuf.Buffer
	exited := make(chan struct{})
	ctx, stop := interruptible(t.Context(), sigs, &log, func() { close(exited) })
	defer stop()

	sigs <- syscall.SIGTERM
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first signal did not cancel the context")
	}
	if !errors.Is(context.Cause(ctx), errSignal) {
		t.Fatalf("cause = %v, want errSignal", context.Cause(ctx))
	}
	select {
	case <-exited:
		t.Fatal("the first signal must not exit")
	case <-time.After(50 * time.Millisecond):
	}
	sigs <- os.Interrupt
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not exit")
	}
}

// TestInterruptStopWithoutSignal: a run that ends normally leaves no
// goroutine behind and is not cancelled by a signal.
func TestInterruptStopWithoutSignal(t *testing.T) {
	ctx, stop := interruptible(t.Context(), make(chan os.Signal), &syncbuf.Buffer{}, func() { t.Error("exit called") })
	stop()
	if errors.Is(context.Cause(ctx), errSignal) {
		t.Fatal("no signal was sent")
	}
}
