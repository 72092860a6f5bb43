package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sqsperf/sqsperf/runner/profile"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// topFunctions is how many rows of the CPU profile the report lists.
const topFunctions = 15

// profiles is the set of profiles taken for one run, if any.
type profiles struct {
	session *profile.Session
	dir     string
}

// startProfiles starts the profiles the scenario asks for, named after the
// case and repeat so that runs of one scenario share its report directory.
func startProfiles(ctx context.Context, sc *scenario.Scenario, opt Options, label string) (*profiles, error) {
	p := sc.Profile
	if opt.ProfileDir == "" || (!p.CPU && !p.Heap && p.Trace <= 0) {
		return &profiles{}, nil
	}
	s, err := profile.Start(ctx, opt.ProfileDir, profile.Options{CPU: p.CPU, Heap: p.Heap, Trace: p.Trace, Prefix: filePrefix(label)})
	if err != nil {
		return nil, fmt.Errorf("starting profiles: %w", err)
	}
	return &profiles{session: s, dir: opt.ProfileDir}, nil
}

// stop writes the profiles and records them, with the hottest functions,
// in the run. A profile that fails is a warning, not a failure: the
// measurements stand without it.
func (p *profiles) stop(run *result.Run) {
	if p.session == nil {
		return
	}
	files, err := p.session.Stop()
	if err != nil {
		run.Warnings = append(run.Warnings, "profiles: "+err.Error())
	}
	for _, f := range files {
		run.Profiles = append(run.Profiles, f)
		if f.Kind == profile.KindCPU {
			top, err := profile.TopFunctions(filepath.Join(p.dir, f.Path), topFunctions)
			if err != nil {
				run.Warnings = append(run.Warnings, "reading the CPU profile: "+err.Error())
				continue
			}
			run.TopFunctions = top
		}
	}
}

// filePrefix turns a run label ("<scenario>[/<case>][ #<repeat>/<repeats>]",
// see runner.go) into a file-name prefix: "scalability/workers=4 #2/3" gives
// "workers=4-r2of3-", "stress #2/3" gives "r2of3-", "stress" gives "".
// The repeat suffix is split off first: its "/" is not the matrix separator,
// and taking it for one gave every repeat the same prefix, so each repeat's
// profiles overwrote the previous ones.
func filePrefix(label string) string {
	repeat := ""
	if i := strings.LastIndex(label, " #"); i >= 0 {
		label, repeat = label[:i], label[i:]
	}
	// Scenario names cannot contain "/" (fields.go), so the first one
	// separates the case.
	if i := strings.IndexByte(label, '/'); i >= 0 {
		label = label[i+1:]
	} else {
		label = ""
	}
	label += repeat
	r := strings.NewReplacer(" #", "-r", "/", "of", " ", "-", "..", "_", "\\", "_")
	label = strings.TrimPrefix(r.Replace(label), "-")
	if label == "" {
		return ""
	}
	return label + "-"
}

// allocWindow is the measured window's allocation profile
// (profile.AllocsFile) of a service in this process. A run takes one when
// Options.AllocProfiles asks and profiles are kept (Options.ProfileDir),
// without the scenario asking: the allocations are sampled anyway (alloc.own.*), and
// a regression in alloc.* is explained by the difference of two of them
// (the interleaved A/B compares its sides'). Nil when none is taken.
type allocWindow struct {
	w *profile.AllocWindow
}

// startAllocWindow snapshots the heap profile. Call it before the probes
// start and the window opens: writing the snapshot allocates, and that
// garbage belongs to neither heap.live nor the window's alloc.* metrics.
func startAllocWindow(opt Options, label string, run *result.Run) allocWindow {
	if opt.ProfileDir == "" || !opt.AllocProfiles {
		return allocWindow{}
	}
	w, err := profile.StartAllocs(opt.ProfileDir, filePrefix(label))
	if err != nil {
		run.Warnings = append(run.Warnings, "allocation profile: "+err.Error())
		return allocWindow{}
	}
	return allocWindow{w: w}
}

// stop writes the profile and records it in the run; call it after the
// window closed and the probes stopped. A failure is a warning: the
// measurements stand without it.
func (a allocWindow) stop(run *result.Run) {
	if a.w == nil {
		return
	}
	p, err := a.w.Stop()
	if err != nil {
		run.Warnings = append(run.Warnings, "allocation profile: "+err.Error())
		return
	}
	run.Profiles = append(run.Profiles, p)
}
