// Package profile takes the pictures behind the numbers: a CPU profile
// (the Flame question: where does CPU go), a heap profile (what is
// retained), and an execution trace of a bounded window (where goroutines
// wait), written as files that go tool pprof and go tool trace read; it
// turns a CPU profile into the top-functions table the report shows; and
// it takes a window's allocation profile and tells which functions
// allocate more in one side's than in another's (allocs.go).
package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"time"

	"github.com/sqsperf/sqsperf/runner/result"
)

// File names written into a session's directory (after Options.Prefix).
const (
	CPUFile   = "cpu.pprof"
	HeapFile  = "heap.pprof"
	TraceFile = "trace.out"
)

// Kinds, as in result.Profile.Kind.
const (
	KindCPU   = "cpu"
	KindHeap  = "heap"
	KindTrace = "trace"
)

// ErrBusy is returned when the process is already taking a CPU profile or
// an execution trace: the runtime allows one of each at a time.
var ErrBusy = errors.New("profile: a CPU profile or execution trace is already running in this process")

// StartCPU starts a CPU profile written to path. The returned stop ends it
// and closes the file.
func StartCPU(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("profile: create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("%w: %v", ErrBusy, err)
	}
	var once sync.Once
	var closeErr error
	return func() error {
		once.Do(func() {
			pprof.StopCPUProfile()
			closeErr = f.Close()
		})
		return closeErr
	}, nil
}

// WriteHeap writes a heap profile to path. It runs a GC first, because the
// profile's in-use figures are as of the last completed GC and would
// otherwise trail the moment asked for.
func WriteHeap(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile: create heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("profile: write heap profile: %w", err)
	}
	return f.Close()
}

// TraceWindow is an execution trace that ends by itself after its window.
type TraceWindow struct {
	f      *os.File
	done   chan struct{}
	stop   chan struct{}
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

// StartTrace traces the whole process into path for at most window (an
// execution trace grows by megabytes a second under load, so it is always
// bounded), or until ctx ends or Stop is called.
func StartTrace(ctx context.Context, path string, window time.Duration) (*TraceWindow, error) {
	if window <= 0 {
		return nil, fmt.Errorf("profile: trace window must be positive, got %s", window)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("profile: create trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("%w: %v", ErrBusy, err)
	}
	ctx, cancel := context.WithTimeout(ctx, window)
	tw := &TraceWindow{f: f, done: make(chan struct{}), stop: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(tw.done)
		select {
		case <-ctx.Done():
		case <-tw.stop:
		}
		trace.Stop()
		tw.err = f.Close()
	}()
	return tw, nil
}

// Done is closed once the trace has been stopped and its file closed.
func (tw *TraceWindow) Done() <-chan struct{} { return tw.done }

// Stop ends the trace early (or waits for it if it already ended) and
// returns the error from closing its file.
func (tw *TraceWindow) Stop() error {
	tw.once.Do(func() { close(tw.stop) })
	<-tw.done
	tw.cancel()
	return tw.err
}

// Options choose which profiles a session takes.
type Options struct {
	CPU  bool
	Heap bool // written at Stop, after the load
	// Trace is the execution trace's window from the session's start; zero
	// takes no trace.
	Trace time.Duration
	// Prefix is put before each file name, so several runs can share a
	// directory ("workers=4-r1-" gives "workers=4-r1-cpu.pprof"). It must
	// not contain a path separator or "..".
	Prefix string
}

// Session is a set of profiles being taken.
type Session struct {
	dir   string
	opts  Options
	stop  func() error
	trace *TraceWindow
}

// Start creates dir if needed and starts the chosen profiles.
func Start(ctx context.Context, dir string, opts Options) (*Session, error) {
	if strings.ContainsAny(opts.Prefix, `/\`) || strings.Contains(opts.Prefix, "..") {
		return nil, fmt.Errorf("profile: prefix %q must be a plain file-name prefix (no / or ..)", opts.Prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	s := &Session{dir: dir, opts: opts}
	if opts.CPU {
		stop, err := StartCPU(s.path(CPUFile))
		if err != nil {
			return nil, err
		}
		s.stop = stop
	}
	if opts.Trace > 0 {
		tw, err := StartTrace(ctx, s.path(TraceFile), opts.Trace)
		if err != nil {
			if s.stop != nil {
				s.stop()
			}
			return nil, err
		}
		s.trace = tw
	}
	return s, nil
}

func (s *Session) path(name string) string { return filepath.Join(s.dir, s.opts.Prefix+name) }

// Stop ends every profile, writes the heap profile, and lists the files
// with paths relative to the session's directory.
func (s *Session) Stop() ([]result.Profile, error) {
	var out []result.Profile
	var errs []error
	if s.stop != nil {
		errs = append(errs, s.stop())
		out = append(out, result.Profile{Kind: KindCPU, Path: s.opts.Prefix + CPUFile})
	}
	if s.trace != nil {
		errs = append(errs, s.trace.Stop())
		out = append(out, result.Profile{Kind: KindTrace, Path: s.opts.Prefix + TraceFile})
	}
	if s.opts.Heap {
		if err := WriteHeap(s.path(HeapFile)); err != nil {
			errs = append(errs, err)
		} else {
			out = append(out, result.Profile{Kind: KindHeap, Path: s.opts.Prefix + HeapFile})
		}
	}
	return out, errors.Join(errs...)
}
