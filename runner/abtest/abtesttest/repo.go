// Package abtesttest builds throwaway git repositories holding a fake
// runner, so the A/B orchestration (worktree, builds, alternating runs,
// result files) is tested for real without the real runner's cost.
package abtesttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// FakeRunner is a stand-in for runner/cmd/runner with the same command
// line and output layout: it writes <out>/fake/result.json. Its CPU cost
// per message is a constant that the tests change between commits; a small
// jitter that depends only on the round keeps samples distinct without
// making the outcome random. A scenario file containing "explode" makes it
// fail with exit code 4; one containing "impossible" makes it exit 1 (a
// threshold failed) after writing its result, as the real runner does.
// When its tree holds an allocs.pprof (SetAllocs), each run copies it
// next to its result and lists it as the run's allocation profile, as the
// real runner does with its measured window's; a tree without one is a
// runner from before they were written. An alloc_cost file in its tree
// sets its allocations per message (80 without one).
const FakeRunner = `package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const cpuCost = CPU_COST

func main() {
	if len(os.Args) < 2 || os.Args[1] != "run" {
		fmt.Fprintln(os.Stderr, "usage: runner run -scenario FILE -out DIR -repeats 1 -no-baseline")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	scenario := fs.String("scenario", "", "")
	out := fs.String("out", "", "")
	repeats := fs.Int("repeats", 0, "")
	fs.Bool("no-baseline", false, "")
	fs.Parse(os.Args[2:])
	spec, err := os.ReadFile(*scenario)
	if err != nil || *repeats != 1 {
		fmt.Fprintln(os.Stderr, "bad invocation:", err, *repeats)
		os.Exit(2)
	}
	if strings.Contains(string(spec), "explode") {
		fmt.Fprintln(os.Stderr, "the backend did not start: boom")
		os.Exit(4)
	}
	round, _ := strconv.Atoi(filepath.Base(*out))
	jitter := 1 + 0.01*math.Sin(float64(round))
	cwd, _ := os.Getwd()
	allocCost := 80.0
	if b, err := os.ReadFile("alloc_cost"); err == nil {
		allocCost, _ = strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	}
	dir := filepath.Join(*out, "fake")
	os.MkdirAll(dir, 0o755)
	run := map[string]any{
		"repeat": 1, "backend": "embedded",
		"metrics": map[string]float64{"cpu.per_message": cpuCost * jitter, "alloc.per_message": allocCost * jitter, "lost": 0},
		"accounting": map[string]int{"processed": 1000},
		"errors": []string{"ran in " + cwd},
	}
	if prof, err := os.ReadFile("allocs.pprof"); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "allocs.pprof"), prof, 0o644); err != nil {
			os.Exit(4)
		}
		run["profiles"] = []any{map[string]any{"kind": "allocs", "path": "allocs.pprof"}}
	}
	res := map[string]any{
		"schema_version": 1, "name": "fake", "file": *scenario, "scenario_hash": "h1",
		"verdict": "pass",
		"cases": []any{map[string]any{"name": "fake", "runs": []any{run}}},
	}
	data, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(dir, "result.json"), data, 0o644); err != nil {
		os.Exit(4)
	}
	if strings.Contains(string(spec), "impossible") {
		os.Exit(1) // a threshold failed; the measurements still count
	}
}
`

// Repo is a git repository with a fake runner/cmd/runner whose CPU cost
// per message is a constant.
type Repo struct {
	t testing.TB
	// Dir is the working tree.
	Dir string
}

// NewRepo creates a repository whose first commit's runner reports
// cpuCost (a Go float literal, such as "100e-6") seconds of CPU per
// message. It skips the test when git is missing.
func NewRepo(t testing.TB, cpuCost string) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	r.Write("go.mod", "module example.com/fake\n\ngo 1.26\n")
	r.Write("scenarios/fake.yaml", "name: fake\n")
	r.SetCost(cpuCost)
	r.Commit("A side")
	return r
}

// Git runs git in the repository and fails the test on an error.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = r.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return string(out)
}

// Write writes a file of the working tree.
func (r *Repo) Write(name, body string) {
	r.t.Helper()
	path := filepath.Join(r.Dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// SetCost rewrites the fake runner with another CPU cost, uncommitted.
func (r *Repo) SetCost(cpuCost string) {
	r.Write("runner/cmd/runner/main.go", strings.Replace(FakeRunner, "CPU_COST", cpuCost, 1))
}

// SetAllocs writes the allocation profile every run of the fake runner in
// the working tree reports: alloc_space bytes by stack, each stack its
// function names innermost first, separated by ";".
func (r *Repo) SetAllocs(stacks map[string]int64) {
	r.t.Helper()
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"}},
		DefaultSampleType: "alloc_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            16 << 10,
	}
	locs := map[string]*profile.Location{}
	names := make([]string, 0, len(stacks))
	for stack := range stacks {
		names = append(names, stack)
	}
	sort.Strings(names) // the same file for the same stacks
	for _, stack := range names {
		s := &profile.Sample{Value: []int64{stacks[stack] / 64, stacks[stack]}}
		for _, fn := range strings.Split(stack, ";") {
			loc, ok := locs[fn]
			if !ok {
				f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: fn}
				p.Function = append(p.Function, f)
				loc = &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
				p.Location = append(p.Location, loc)
				locs[fn] = loc
			}
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		r.t.Fatal(err)
	}
	r.Write("allocs.pprof", b.String())
}

// Commit commits every change.
func (r *Repo) Commit(msg string) {
	r.Git("add", "-A")
	r.Git("commit", "-q", "-m", msg)
}

// Worktrees returns how many worktrees git knows (1 when no temporary one is left).
func (r *Repo) Worktrees() int {
	r.t.Helper()
	return strings.Count(r.Git("worktree", "list", "--porcelain"), "worktree ")
}
