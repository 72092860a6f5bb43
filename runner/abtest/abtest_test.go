package abtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/verdict"
)

// fakeRunner is a stand-in for runner/cmd/runner with the same command
// line and output layout. Its CPU cost per message is a constant that the
// tests change between commits; a small jitter that depends only on the
// round keeps samples distinct without making the outcome random.
const fakeRunner = `package main

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
	res := map[string]any{
		"schema_version": 1, "name": "fake", "file": *scenario, "scenario_hash": "h1",
		"verdict": "pass",
		"cases": []any{map[string]any{"name": "fake", "runs": []any{map[string]any{
			"repeat": 1, "backend": "embedded",
			"metrics": map[string]float64{"cpu.per_message": cpuCost * jitter, "alloc.per_message": 80 * jitter, "lost": 0},
			"errors": []string{"ran in " + cwd},
		}}}},
	}
	dir := filepath.Join(*out, "fake")
	os.MkdirAll(dir, 0o755)
	data, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(dir, "result.json"), data, 0o644); err != nil {
		os.Exit(4)
	}
	if strings.Contains(string(spec), "impossible") {
		os.Exit(1) // a threshold failed; the measurements still count
	}
}
`

type fakeRepo struct {
	t   *testing.T
	dir string
}

func newFakeRepo(t *testing.T, cpuCost string) *fakeRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &fakeRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.write("go.mod", "module example.com/fake\n\ngo 1.26\n")
	r.write("scenarios/fake.yaml", "name: fake\n")
	r.setCost(cpuCost)
	r.commit("A side")
	return r
}

func (r *fakeRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %v: %s", args, out)
	return string(out)
}

func (r *fakeRepo) write(name, body string) {
	r.t.Helper()
	path := filepath.Join(r.dir, name)
	require.NoError(r.t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(r.t, os.WriteFile(path, []byte(body), 0o644))
}

func (r *fakeRepo) setCost(cpuCost string) {
	r.write("runner/cmd/runner/main.go", strings.Replace(fakeRunner, "CPU_COST", cpuCost, 1))
}

func (r *fakeRepo) commit(msg string) {
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

// assertClean checks that no temporary worktree is left registered.
func (r *fakeRepo) assertClean() {
	r.t.Helper()
	list := r.git("worktree", "list", "--porcelain")
	assert.Equal(r.t, 1, strings.Count(list, "worktree "), "temporary worktree left behind:\n%s", list)
}

func (r *fakeRepo) options(out string) Options {
	return Options{
		Repo:     r.dir,
		Against:  "HEAD",
		Scenario: filepath.Join(r.dir, "scenarios/fake.yaml"),
		Rounds:   6,
		OutDir:   out,
	}
}

func TestRunFlagsARegressionInTheWorkingTree(t *testing.T) {
	repo := newFakeRepo(t, "100e-6")
	repo.setCost("130e-6") // B: 30% more CPU per message, not committed
	out := t.TempDir()
	var progress bytes.Buffer
	opts := repo.options(out)
	opts.Stdout = &progress

	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	repo.assertClean()

	assert.True(t, res.Regressed())
	assert.Equal(t, "fake", res.Scenario)
	assert.Len(t, res.Commit, 40)
	require.Len(t, res.Cases, 1)
	c := res.Cases[0]
	assert.Len(t, c.A.Runs, 6)
	assert.Len(t, c.B.Runs, 6)
	assert.True(t, c.Report.SameMachine)
	byMetric := map[string]string{}
	for _, cmp := range c.Report.Comparisons {
		byMetric[cmp.Metric] = cmp.Verdict
		if cmp.Metric == "cpu.per_message" {
			assert.InDelta(t, 0.30, cmp.Change, 0.02)
			assert.InDelta(t, 100e-6, cmp.Baseline, 2e-6)
		}
	}
	assert.Equal(t, verdict.Regression, byMetric["cpu.per_message"])
	assert.Equal(t, verdict.Unchanged, byMetric["alloc.per_message"])
	assert.Equal(t, verdict.Unchanged, byMetric["lost"])

	// Each side ran from its own tree: A from the temporary worktree.
	assert.Contains(t, c.B.Runs[0].Errors[0], "ran in "+repo.dir)
	assert.NotContains(t, c.A.Runs[0].Errors[0], "ran in "+repo.dir+"\x00")
	assert.NotEqual(t, c.B.Runs[0].Errors[0], c.A.Runs[0].Errors[0])

	// Rounds alternate AB, BA, ...
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	var order []string
	for _, l := range lines {
		if strings.HasPrefix(l, "round ") {
			order = append(order, strings.Fields(l)[2])
		}
	}
	assert.Equal(t, []string{"A", "B", "B", "A", "A", "B", "B", "A", "A", "B", "B", "A"}, order)

	// Outputs are kept for benchstat.
	for _, f := range []string{"A.txt", "B.txt", "A/1/fake/result.json", "B/6/fake/result.json", "A/3/runner.log"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	bench, err := os.ReadFile(filepath.Join(out, "B.txt"))
	require.NoError(t, err)
	assert.Equal(t, 6, strings.Count(string(bench), "BenchmarkScenario/fake 1 "))

	var summary bytes.Buffer
	require.NoError(t, res.WriteSummary(&summary))
	assert.Contains(t, summary.String(), "cpu.per_message")
	assert.Contains(t, summary.String(), "regression")
	assert.Contains(t, summary.String(), "benchstat "+filepath.Join(out, "A.txt"))
}

func TestRunSameCodeIsNotARegression(t *testing.T) {
	repo := newFakeRepo(t, "100e-6")
	repo.write("scenarios/fake.yaml", "name: fake\n# impossible threshold: exits 1, still measured\n")
	res, err := Run(context.Background(), repo.options(""))
	require.NoError(t, err)
	repo.assertClean()
	assert.False(t, res.Regressed())
	assert.Empty(t, res.OutDir, "temporary output is not reported")
	for _, cmp := range res.Cases[0].Report.Comparisons {
		assert.Equal(t, verdict.Unchanged, cmp.Verdict, cmp.Metric)
	}
}

func TestRunTooFewRoundsWarns(t *testing.T) {
	repo := newFakeRepo(t, "100e-6")
	repo.setCost("300e-6")
	opts := repo.options("")
	opts.Rounds = 2
	res, err := Run(context.Background(), opts)
	require.NoError(t, err)
	assert.False(t, res.Regressed(), "two rounds cannot be significant; it must warn instead")
	found := false
	for _, cmp := range res.Cases[0].Report.Comparisons {
		if cmp.Metric == "cpu.per_message" {
			found = true
			assert.Equal(t, verdict.Warning, cmp.Verdict)
			assert.Contains(t, cmp.Note, "need 5 per side")
		}
	}
	assert.True(t, found)
}

func TestRunErrorsCleanUp(t *testing.T) {
	repo := newFakeRepo(t, "100e-6")

	t.Run("unknown revision", func(t *testing.T) {
		opts := repo.options("")
		opts.Against = "no-such-branch"
		_, err := Run(context.Background(), opts)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrOptions))
		assert.Contains(t, err.Error(), `revision "no-such-branch" is not a commit`)
		repo.assertClean()
	})

	t.Run("bad options", func(t *testing.T) {
		for _, mutate := range []func(*Options){
			func(o *Options) { o.Against = "" },
			func(o *Options) { o.Against = "--output=/tmp/x" },
			func(o *Options) { o.Scenario = filepath.Join(repo.dir, "missing.yaml") },
			func(o *Options) { o.Rounds = -1 },
			func(o *Options) { o.Repo = t.TempDir() },
		} {
			opts := repo.options("")
			mutate(&opts)
			_, err := Run(context.Background(), opts)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrOptions), err.Error())
		}
	})

	t.Run("build fails at the revision", func(t *testing.T) {
		repo.write("runner/cmd/runner/main.go", "package main\n\nfunc main() { undefined() }\n")
		repo.commit("broken")
		repo.setCost("100e-6") // the working tree builds again
		_, err := Run(context.Background(), repo.options(""))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "building the runner of side A (HEAD")
		assert.Contains(t, err.Error(), "undefined")
		assert.False(t, errors.Is(err, ErrOptions))
		repo.assertClean()
		repo.commit("fixed")
	})

	t.Run("a run fails", func(t *testing.T) {
		repo.write("scenarios/fake.yaml", "name: fake\nexplode: true\n")
		_, err := Run(context.Background(), repo.options(""))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "round 1 of side A")
		assert.Contains(t, err.Error(), "the backend did not start: boom")
		repo.assertClean()
	})

	t.Run("cancelled", func(t *testing.T) {
		repo.write("scenarios/fake.yaml", "name: fake\n")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Run(ctx, repo.options(""))
		require.Error(t, err)
		repo.assertClean()
	})
}
