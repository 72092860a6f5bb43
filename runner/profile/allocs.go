package profile

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/sqsperf/sqsperf/runner/result"
)

// AllocsFile is the allocation profile of a run's measured window, and
// KindAllocs its result.Profile.Kind. It is a heap profile reduced to its
// alloc_objects and alloc_space columns: what was allocated between the
// window's start and its end, which go tool pprof reads like any heap
// profile (alloc_space is its default).
const (
	AllocsFile = "allocs.pprof"
	KindAllocs = "allocs"
)

// AllocsEnv set to 1 in a runner's environment makes it keep every run's
// allocation profile (runner.Options.AllocProfiles): the interleaved A/B
// sets it for both sides' runners, whose profiles it diffs. A runner from
// before it ignores it (and writes none, which the A/B notes).
const AllocsEnv = "SQSPERF_ALLOC_PROFILES"

// allocsStartFile holds the snapshot at the window's start until Stop.
// It is kept on disk, not in memory: a parsed profile of the SDK's deep
// stacks is a megabyte, which the run's heap.live would measure.
const allocsStartFile = "allocs-start.pprof.tmp"

// AllocWindow takes the allocation profile of a window: the process's
// heap profile at its start and at its end, the one subtracted from the
// other. The memory profiler's samples are cumulative since the process
// started, so the end's alone would count the setup and every earlier
// run too.
type AllocWindow struct {
	dir, prefix string
}

// StartAllocs snapshots the heap profile (after a GC, which publishes
// every allocation so far to it) into dir. prefix is put before the file
// names, as Options.Prefix.
func StartAllocs(dir, prefix string) (*AllocWindow, error) {
	if strings.ContainsAny(prefix, `/\`) || strings.Contains(prefix, "..") {
		return nil, fmt.Errorf("profile: prefix %q must be a plain file-name prefix (no / or ..)", prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	w := &AllocWindow{dir: dir, prefix: prefix}
	if err := WriteHeap(w.path(allocsStartFile)); err != nil {
		return nil, err
	}
	// Writing the profile built it on the heap, and a collection during
	// the write saw it live: collect again so that heap.live, sampled
	// from the next moment on, reads the service's heap and not the
	// snapshot's garbage.
	runtime.GC()
	return w, nil
}

func (w *AllocWindow) path(name string) string { return filepath.Join(w.dir, w.prefix+name) }

// Stop snapshots the heap profile again and writes the difference as
// AllocsFile, returning it as a profile of the run (its path relative to
// the directory).
func (w *AllocWindow) Stop() (result.Profile, error) {
	startPath := w.path(allocsStartFile)
	defer os.Remove(startPath)
	start, err := readProfile(startPath)
	if err != nil {
		return result.Profile{}, err
	}
	runtime.GC()
	var end bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&end, 0); err != nil {
		return result.Profile{}, fmt.Errorf("profile: write heap profile: %w", err)
	}
	endP, err := profile.Parse(&end)
	if err != nil {
		return result.Profile{}, fmt.Errorf("profile: reading this process's heap profile: %w", err)
	}
	delta, err := subtractAllocs(endP, start)
	if err != nil {
		return result.Profile{}, err
	}
	if err := writeProfile(w.path(AllocsFile), delta); err != nil {
		return result.Profile{}, err
	}
	return result.Profile{Kind: KindAllocs, Path: w.prefix + AllocsFile}, nil
}

// subtractAllocs is end minus start over the allocation columns.
func subtractAllocs(end, start *profile.Profile) (*profile.Profile, error) {
	for _, p := range []*profile.Profile{end, start} {
		if err := allocColumns(p); err != nil {
			return nil, err
		}
	}
	start.Scale(-1)
	delta, err := profile.Merge([]*profile.Profile{end, start})
	if err != nil {
		return nil, fmt.Errorf("profile: subtracting the window's start from its end: %w", err)
	}
	// A site's estimate is scaled from its average object size, so a
	// site whose sizes changed can come out a few bytes below zero.
	kept := delta.Sample[:0]
	for _, s := range delta.Sample {
		if s.Value[0] > 0 || s.Value[1] > 0 {
			s.Value[0], s.Value[1] = max(s.Value[0], 0), max(s.Value[1], 0)
			kept = append(kept, s)
		}
	}
	delta.Sample = kept
	if end.TimeNanos > start.TimeNanos && start.TimeNanos > 0 {
		delta.TimeNanos, delta.DurationNanos = start.TimeNanos, end.TimeNanos-start.TimeNanos
	}
	return delta, nil
}

// allocColumns keeps a heap profile's alloc_objects and alloc_space
// columns (in that order) and drops the in-use ones: a difference of
// in-use figures is no allocation.
func allocColumns(p *profile.Profile) error {
	objects, space := -1, -1
	for i, st := range p.SampleType {
		switch st.Type {
		case "alloc_objects":
			objects = i
		case "alloc_space":
			space = i
		}
	}
	if objects < 0 || space < 0 {
		return fmt.Errorf("profile: not a heap profile (sample types %v): want alloc_objects and alloc_space", p.SampleType)
	}
	p.SampleType = []*profile.ValueType{p.SampleType[objects], p.SampleType[space]}
	for _, s := range p.Sample {
		s.Value = []int64{s.Value[objects], s.Value[space]}
	}
	p.DefaultSampleType = "alloc_space"
	return nil
}

func readProfile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("profile: %s is not a pprof profile: %w", path, err)
	}
	return p, nil
}

func writeProfile(path string, p *profile.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("profile: writing %s: %w", path, err)
	}
	return f.Close()
}

// AllocSource is one run's allocation profile and the messages it
// processed, by which its bytes are divided.
type AllocSource struct {
	Path      string
	Processed int
}

// MergeAllocs merges allocation profiles (of one side's rounds) into out,
// so that one go tool pprof -diff_base compares every round of two sides,
// and returns the allocated bytes per message processed of each function
// (see result.AllocGrowth for whose an allocation is).
func MergeAllocs(srcs []AllocSource, out string) (map[string]float64, error) {
	if len(srcs) == 0 {
		return nil, errors.New("profile: no allocation profiles to merge")
	}
	var ps []*profile.Profile
	processed := 0
	for _, s := range srcs {
		p, err := readProfile(s.Path)
		if err != nil {
			return nil, err
		}
		if err := allocColumns(p); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Path, err)
		}
		ps = append(ps, p)
		processed += s.Processed
	}
	merged, err := profile.Merge(ps)
	if err != nil {
		return nil, fmt.Errorf("profile: merging %d allocation profiles: %w", len(ps), err)
	}
	if err := writeProfile(out, merged); err != nil {
		return nil, err
	}
	if processed <= 0 {
		return nil, fmt.Errorf("profile: the runs of %s processed no messages: allocations per message are unknown", out)
	}
	perMessage := map[string]float64{}
	for fn, b := range allocsByFunction(merged) {
		perMessage[fn] = float64(b) / float64(processed)
	}
	return perMessage, nil
}

// allocsByFunction sums alloc_space by the innermost frame outside package
// runtime: the runtime's frames (makeslice, growslice, newobject, ...) are
// how an allocation is made, and the function that called them is the one
// a reader changes.
func allocsByFunction(p *profile.Profile) map[string]int64 {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "alloc_space" {
			idx = i
		}
	}
	out := map[string]int64{}
	if idx < 0 {
		return out
	}
	for _, s := range p.Sample {
		if v := s.Value[idx]; v != 0 {
			out[allocatingFunction(s)] += v
		}
	}
	return out
}

func allocatingFunction(s *profile.Sample) string {
	first := ""
	for _, loc := range s.Location {
		if loc == nil {
			continue
		}
		for _, line := range loc.Line { // innermost inlined function first
			if line.Function == nil {
				continue
			}
			name := line.Function.Name
			if first == "" {
				first = name
			}
			if !strings.HasPrefix(name, "runtime.") {
				return name
			}
		}
		if len(loc.Line) == 0 && first == "" {
			first = fmt.Sprintf("0x%x", loc.Address)
		}
	}
	if first == "" {
		return "?"
	}
	return first
}

// AllocGrowth lists the n functions whose allocated bytes per message grew
// the most from base to current, largest growth first; functions that
// allocate less or the same are left out.
func AllocGrowth(base, current map[string]float64, n int) []result.AllocGrowth {
	var out []result.AllocGrowth
	for fn, c := range current {
		if c > base[fn] {
			out = append(out, result.AllocGrowth{Function: fn, Base: base[fn], Current: c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		gi, gj := out[i].Current-out[i].Base, out[j].Current-out[j].Base
		if gi != gj {
			return gi > gj
		}
		return out[i].Function < out[j].Function
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	for i := range out {
		out[i].Base, out[i].Current = round(out[i].Base), round(out[i].Current)
	}
	return out
}

// round keeps bytes per message to a tenth of a byte, enough for a report.
func round(x float64) float64 { return math.Round(x*10) / 10 }
