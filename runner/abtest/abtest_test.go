package abtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/abtest/abtesttest"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/verdict"
)

func options(r *abtesttest.Repo, out string) Options {
	return Options{
		Repo:     r.Dir,
		Against:  "HEAD",
		Scenario: filepath.Join(r.Dir, "scenarios/fake.yaml"),
		Rounds:   6,
		OutDir:   out,
	}
}

func TestRunFlagsARegressionInTheWorkingTree(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetCost("130e-6") // B: 30% more CPU per message, not committed
	out := t.TempDir()
	var progress bytes.Buffer
	opts := options(repo, out)
	opts.Stdout = &progress

	res, err := Run(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")

	assert.True(t, res.Regressed())
	assert.Equal(t, "fake", res.Scenario)
	assert.Len(t, res.Commit, 40)
	require.Len(t, res.Cases, 1)
	c := res.Cases[0]
	assert.Len(t, c.A.Runs, 6)
	assert.Len(t, c.B.Runs, 6)
	assert.True(t, c.Report.SameMachine)
	byMetric := map[string]result.Outcome{}
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
	assert.Contains(t, c.B.Runs[0].Errors[0], "ran in "+repo.Dir)
	assert.NotContains(t, c.A.Runs[0].Errors[0], "ran in "+repo.Dir+"\x00")
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
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.Write("scenarios/fake.yaml", "name: fake\n# impossible threshold: exits 1, still measured\n")
	res, err := Run(t.Context(), options(repo, ""))
	require.NoError(t, err)
	assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")
	assert.False(t, res.Regressed())
	assert.Empty(t, res.OutDir, "temporary output is not reported")
	for _, cmp := range res.Cases[0].Report.Comparisons {
		assert.Equal(t, verdict.Unchanged, cmp.Verdict, cmp.Metric)
	}
}

func TestRunTooFewRoundsWarns(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetCost("300e-6")
	opts := options(repo, "")
	opts.Rounds = 2
	res, err := Run(t.Context(), opts)
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
	repo := abtesttest.NewRepo(t, "100e-6")

	t.Run("unknown revision", func(t *testing.T) {
		opts := options(repo, "")
		opts.Against = "no-such-branch"
		_, err := Run(t.Context(), opts)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrOptions))
		assert.Contains(t, err.Error(), `revision "no-such-branch" is not a commit`)
		assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")
	})

	t.Run("bad options", func(t *testing.T) {
		for _, mutate := range []func(*Options){
			func(o *Options) { o.Against = "" },
			func(o *Options) { o.Against = "--output=/tmp/x" },
			func(o *Options) { o.Scenario = filepath.Join(repo.Dir, "missing.yaml") },
			func(o *Options) { o.Rounds = -1 },
			func(o *Options) { o.Repo = t.TempDir() },
		} {
			opts := options(repo, "")
			mutate(&opts)
			_, err := Run(t.Context(), opts)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrOptions), err.Error())
		}
	})

	t.Run("build fails at the revision", func(t *testing.T) {
		repo.Write("runner/cmd/runner/main.go", "package main\n\nfunc main() { undefined() }\n")
		repo.Commit("broken")
		repo.SetCost("100e-6") // the working tree builds again
		_, err := Run(t.Context(), options(repo, ""))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "building the runner of side A (HEAD")
		assert.Contains(t, err.Error(), "undefined")
		assert.False(t, errors.Is(err, ErrOptions))
		assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")
		repo.Commit("fixed")
	})

	t.Run("a run fails", func(t *testing.T) {
		repo.Write("scenarios/fake.yaml", "name: fake\nexplode: true\n")
		_, err := Run(t.Context(), options(repo, ""))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "round 1 of side A")
		assert.Contains(t, err.Error(), "the backend did not start: boom")
		assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")
	})

	t.Run("cancelled", func(t *testing.T) {
		repo.Write("scenarios/fake.yaml", "name: fake\n")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Run(ctx, options(repo, ""))
		require.Error(t, err)
		assert.Equal(t, 1, repo.Worktrees(), "temporary worktree left behind")
	})
}

// A confirmation adds its rounds to the first ones: three rounds per side
// cannot be significant alone, six together are.
func TestCombinePoolsTheRoundsOfTwoComparisons(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetCost("130e-6")
	opts := options(repo, "")
	opts.Scenario = ""
	s, err := Open(t.Context(), opts)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	file := filepath.Join(repo.Dir, "scenarios/fake.yaml")
	first, err := s.Compare(t.Context(), file, 3, "")
	require.NoError(t, err)
	assert.False(t, first.Regressed(), "three rounds per side cannot be significant")
	second, err := s.Compare(t.Context(), file, 3, "")
	require.NoError(t, err)
	both := s.Combine(first, second)
	require.Len(t, both.Cases, 1)
	assert.Len(t, both.Cases[0].A.Runs, 6)
	assert.Len(t, both.Cases[0].B.Runs, 6)
	assert.Equal(t, 6, both.Cases[0].B.Runs[5].Repeat)
	assert.True(t, both.Regressed(), "six rounds per side of +30%% are")
	assert.Len(t, both.B.Cases[0].Runs, 6)
}

// Both sides keep a allocation profile per round; the comparison merges
// each side's rounds and names the function whose bytes per message grew.
func TestRunDiffsTheSidesAllocationProfiles(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetAllocs(map[string]int64{
		"service.(*Service).invoke;service.(*Service).work": 1_000_000,
		"sdk.Send;service.(*Service).work":                  5_000_000,
	})
	repo.Commit("A allocates 1 KB per message in invoke")
	repo.SetAllocs(map[string]int64{
		"runtime.makeslice;service.(*Service).invoke;service.(*Service).work": 1_800_000,
		"service.(*Service).invoke;service.(*Service).work":                   1_000_000,
		"sdk.Send;service.(*Service).work":                                    4_900_000,
	})
	repo.Write("alloc_cost", "120") // alloc.per_message regresses too
	out := t.TempDir()
	res, err := Run(t.Context(), options(repo, out))
	require.NoError(t, err)
	require.Len(t, res.Cases, 1)
	d := res.Cases[0].Allocs
	require.NotNil(t, d)
	assert.Empty(t, d.Note)
	assert.Equal(t, filepath.Join(out, "A-allocs.pprof"), d.Base)
	assert.Equal(t, filepath.Join(out, "B-allocs.pprof"), d.Current)
	assert.FileExists(t, d.Base)
	assert.FileExists(t, d.Current)
	for _, f := range []string{"A/1/fake/allocs.pprof", "A/6/fake/allocs.pprof", "B/1/fake/allocs.pprof", "B/6/fake/allocs.pprof"} {
		assert.FileExists(t, filepath.Join(out, f), "every round's profile is kept")
	}
	// 1,000 messages a round: 1 KB per message at A, 2.8 KB at B.
	assert.Equal(t, []result.AllocGrowth{{Function: "service.(*Service).invoke", Base: 1000, Current: 2800}}, d.Grew)

	// The printed verdict of an allocation regression names both.
	var summary bytes.Buffer
	require.NoError(t, res.WriteSummary(&summary))
	assert.Contains(t, summary.String(), "the functions that grew most (allocation profiles of every round merged, base → this run): service.(*Service).invoke 1000 B → 2.7 KiB (+1.8 KiB)")
	assert.Contains(t, summary.String(), "go tool pprof -sample_index=alloc_space -top -diff_base "+d.Base+" "+d.Current)
}

// A revision from before the allocation profiles has none: the
// comparison still runs and says so, with the working tree's profile.
func TestRunAgainstARevisionWithoutAllocationProfiles(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6") // its runner writes no profile
	repo.SetAllocs(map[string]int64{"service.(*Service).invoke": 1_000_000})
	out := t.TempDir()
	opts := options(repo, out)
	opts.Rounds = 2
	res, err := Run(t.Context(), opts)
	require.NoError(t, err)
	d := res.Cases[0].Allocs
	require.NotNil(t, d)
	assert.Empty(t, d.Base)
	assert.Empty(t, d.Grew)
	assert.Equal(t, filepath.Join(out, "B-allocs.pprof"), d.Current)
	assert.FileExists(t, d.Current)
	assert.Contains(t, d.Note, "HEAD ("+res.Commit[:12]+") wrote no allocation profile")
}

// A confirmation's rounds join the allocation profiles too: the combined
// comparison merges every round of both.
func TestCombineMergesTheAllocationProfilesOfEveryRound(t *testing.T) {
	repo := abtesttest.NewRepo(t, "100e-6")
	repo.SetAllocs(map[string]int64{"service.invoke": 1_000_000})
	repo.Commit("A")
	repo.SetAllocs(map[string]int64{"service.invoke": 3_000_000})
	opts := options(repo, "")
	opts.Scenario = ""
	s, err := Open(t.Context(), opts)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	file := filepath.Join(repo.Dir, "scenarios/fake.yaml")
	out := t.TempDir()
	first, err := s.Compare(t.Context(), file, 2, out)
	require.NoError(t, err)
	second, err := s.Compare(t.Context(), file, 1, filepath.Join(out, "confirm-1"))
	require.NoError(t, err)
	both := s.Combine(first, second)
	d := both.Cases[0].Allocs
	require.NotNil(t, d)
	assert.Equal(t, filepath.Join(out, "B-allocs.pprof"), d.Current)
	assert.Equal(t, []result.AllocGrowth{{Function: "service.invoke", Base: 1000, Current: 3000}}, d.Grew)
	data, err := os.ReadFile(d.Current)
	require.NoError(t, err)
	merged, err := profile.ParseData(data)
	require.NoError(t, err)
	var total int64
	for _, smp := range merged.Sample {
		total += smp.Value[1]
	}
	assert.Equal(t, int64(3*3_000_000), total, "the merged profile holds all three rounds")
}
