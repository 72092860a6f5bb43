package exitcode_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOf(t *testing.T) {
	plain := errors.New("boom")
	for _, tc := range []struct {
		name string
		err  error
		want exitcode.Code
	}{
		{"nil is OK", nil, exitcode.OK},
		{"an uncoded error is the environment's", plain, exitcode.Environment},
		{"a wrapped code", exitcode.Wrap(exitcode.Usage, plain), exitcode.Usage},
		{"a code under fmt.Errorf", fmt.Errorf("context: %w", exitcode.Wrap(exitcode.Threshold, plain)), exitcode.Threshold},
		{"Errorf carries its code", exitcode.Errorf(exitcode.Regression, "regressed"), exitcode.Regression},
		// The code decided nearest the failure wins over a caller's
		// blanket classification (runner.envError relies on it).
		{"innermost of two", exitcode.Wrap(exitcode.Usage, exitcode.Wrap(exitcode.Environment, plain)), exitcode.Environment},
		{"innermost through fmt.Errorf", exitcode.Wrap(exitcode.Environment,
			fmt.Errorf("compare: %w", exitcode.Errorf(exitcode.Usage, "bad flag %w", fs.ErrInvalid))), exitcode.Usage},
		{"innermost of three", exitcode.Wrap(exitcode.Environment, exitcode.Wrap(exitcode.Threshold,
			exitcode.Wrap(exitcode.Regression, plain))), exitcode.Regression},
		{"a join: the first coded branch", exitcode.Wrap(exitcode.Environment,
			errors.Join(plain, exitcode.Wrap(exitcode.Usage, plain))), exitcode.Usage},
		{"a join with no coded branch keeps the outer code", exitcode.Wrap(exitcode.Threshold,
			errors.Join(plain, plain)), exitcode.Threshold},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitcode.Of(tc.err); got != tc.want {
				t.Errorf("Of(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	if err := exitcode.Wrap(exitcode.Usage, nil); err != nil {
		t.Errorf("Wrap(Usage, nil) = %v, want nil", err)
	}
	inner := fmt.Errorf("reading: %w", fs.ErrNotExist)
	err := exitcode.Wrap(exitcode.Environment, inner)
	if err.Error() != inner.Error() {
		t.Errorf("the code must not change the message: got %q, want %q", err, inner)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("Wrap must keep the wrapped chain for errors.Is")
	}
	var coded *exitcode.Error
	if !errors.As(err, &coded) || coded.Code != exitcode.Environment {
		t.Errorf("errors.As: got %+v, want an *Error with Environment", coded)
	}
}

func TestErrorfWrapsWithPercentW(t *testing.T) {
	err := exitcode.Errorf(exitcode.Environment, "backend: %w", fs.ErrPermission)
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("Errorf with %w must keep the wrapped error")
	}
	if got, want := err.Error(), "backend: "+fs.ErrPermission.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWorst(t *testing.T) {
	for _, tc := range []struct {
		codes []exitcode.Code
		want  exitcode.Code
	}{
		{nil, exitcode.OK},
		{[]exitcode.Code{exitcode.OK, exitcode.OK}, exitcode.OK},
		{[]exitcode.Code{exitcode.Threshold, exitcode.OK}, exitcode.Threshold},
		{[]exitcode.Code{exitcode.Threshold, exitcode.Regression}, exitcode.Regression},
		{[]exitcode.Code{exitcode.Regression, exitcode.Environment, exitcode.Threshold}, exitcode.Environment},
		{[]exitcode.Code{exitcode.Environment, exitcode.Usage}, exitcode.Usage},
		{[]exitcode.Code{exitcode.Usage, exitcode.Environment}, exitcode.Usage},
	} {
		if got := exitcode.Worst(tc.codes...); got != tc.want {
			t.Errorf("Worst(%v) = %v, want %v", tc.codes, got, tc.want)
		}
	}
}

func TestCodeString(t *testing.T) {
	seen := map[string]exitcode.Code{}
	for _, c := range []exitcode.Code{exitcode.OK, exitcode.Threshold, exitcode.Usage, exitcode.Regression, exitcode.Environment} {
		s := c.String()
		if other, dup := seen[s]; dup {
			t.Errorf("codes %d and %d are both described as %q", other, c, s)
		}
		seen[s] = c
	}
	if got, want := exitcode.Code(42).String(), "exit code 42"; got != want {
		t.Errorf("Code(42).String() = %q, want %q", got, want)
	}
}

// The documented process codes are CI's contract: they must not move.
func TestCodeValues(t *testing.T) {
	for c, want := range map[exitcode.Code]int{exitcode.OK: 0, exitcode.Threshold: 1, exitcode.Usage: 2, exitcode.Regression: 3, exitcode.Environment: 4} {
		if int(c) != want {
			t.Errorf("%s = %d, want %d", c, int(c), want)
		}
	}
}
