// Package exitcode carries the runner's process exit codes on errors, so
// that the code is decided where the failure is understood and read in one
// place (the CLI's main), never by os.Exit deep in a helper.
package exitcode

import (
	"errors"
	"fmt"
)

// Code is a process exit code with a fixed meaning for CI.
type Code int

const (
	OK          Code = 0 // every scenario passed
	Threshold   Code = 1 // a threshold was breached
	Usage       Code = 2 // bad flags or an invalid scenario file
	Regression  Code = 3 // a significant regression against the baseline
	Environment Code = 4 // the backend did not start, Docker missing, endpoint unreachable
)

func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case Threshold:
		return "threshold failed"
	case Usage:
		return "usage or invalid scenario"
	case Regression:
		return "regression"
	case Environment:
		return "environment failure"
	}
	return fmt.Sprintf("exit code %d", int(c))
}

// Error is an error that carries the exit code the process should end with.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap attaches code to err. A nil err stays nil.
func Wrap(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Errorf formats an error that carries code.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Of returns the exit code carried by err: OK for nil, Environment for an
// error that carries none (an unexpected failure is the environment's until
// proven otherwise), and otherwise the innermost code, the one nearest the
// failure: the code is decided where the failure is understood, so a
// caller's blanket classification (Wrap(Environment, err) around anything a
// step returns) never overrides a deeper, more specific one. Wrapping a
// coded error in another code therefore adds context, not a new verdict.
// In a tree of errors (errors.Join) it follows errors.As: the first coded
// branch, depth first.
func Of(err error) Code {
	if err == nil {
		return OK
	}
	code := Environment
	var e *Error
	for errors.As(err, &e) {
		code = e.Code
		if e.Err == nil {
			break
		}
		err = e.Err
	}
	return code
}

// Worst returns the code that should win when several outcomes combine:
// usage and environment failures first (nothing was judged), then
// regressions, then threshold breaches.
func Worst(codes ...Code) Code {
	rank := map[Code]int{OK: 0, Threshold: 1, Regression: 2, Environment: 3, Usage: 4}
	worst := OK
	for _, c := range codes {
		if rank[c] > rank[worst] {
			worst = c
		}
	}
	return worst
}
