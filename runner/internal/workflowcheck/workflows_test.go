package workflowcheck

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"github.com/sqsperf/sqsperf/runner/cli"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// repoRoot is where go.mod is, found from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found above the test's directory")
		dir = parent
	}
}

// The types list GitHub's workflow keys (those this project may use), so
// that decoding with KnownFields rejects a misspelled one.
type workflow struct {
	Name        string            `yaml:"name"`
	RunName     string            `yaml:"run-name"`
	On          map[string]any    `yaml:"on"`
	Permissions any               `yaml:"permissions"`
	Concurrency any               `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Defaults    any               `yaml:"defaults"`
	Jobs        map[string]job    `yaml:"jobs"`
}

type job struct {
	Name            string            `yaml:"name"`
	RunsOn          string            `yaml:"runs-on"`
	Needs           any               `yaml:"needs"`
	If              string            `yaml:"if"`
	Permissions     any               `yaml:"permissions"`
	Environment     any               `yaml:"environment"`
	Concurrency     any               `yaml:"concurrency"`
	Outputs         map[string]string `yaml:"outputs"`
	Env             map[string]string `yaml:"env"`
	Defaults        any               `yaml:"defaults"`
	TimeoutMinutes  int               `yaml:"timeout-minutes"`
	Strategy        any               `yaml:"strategy"`
	ContinueOnError any               `yaml:"continue-on-error"`
	Container       any               `yaml:"container"`
	Services        any               `yaml:"services"`
	Steps           []step            `yaml:"steps"`
}

type step struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	WorkingDirectory string            `yaml:"working-directory"`
	With             map[string]any    `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	ContinueOnError  any               `yaml:"continue-on-error"`
	TimeoutMinutes   int               `yaml:"timeout-minutes"`
}

func load(t *testing.T, root, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelled key (runs_on, step) is an error, as in GitHub
	require.NoError(t, dec.Decode(&w), "%s is not a valid workflow", name)
	require.NotEmpty(t, w.Jobs, "%s has no jobs", name)
	return w
}

func TestEveryWorkflowIsValidAndRunsOnlyWhatExists(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	repo := newRepo(t, root)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w := load(t, root, name)
			for jobID, j := range w.Jobs {
				assert.NotEmpty(t, j.RunsOn, "%s: job %s has no runs-on", name, jobID)
				assert.Positive(t, j.TimeoutMinutes, "%s: job %s has no timeout-minutes (GitHub's default is 6 hours)", name, jobID)
				require.NotEmpty(t, j.Steps, "%s: job %s has no steps", name, jobID)
				for i, s := range j.Steps {
					where := name + ": job " + jobID + ", step " + stepName(i, s)
					switch {
					case s.Uses != "" && s.Run != "":
						t.Errorf("%s has both uses and run", where)
					case s.Uses != "":
						repo.checkUses(t, where, s.Uses)
					case s.Run != "":
						repo.checkRun(t, where, s.Run)
					default:
						t.Errorf("%s has neither uses nor run", where)
					}
					if s.WorkingDirectory != "" {
						t.Errorf("%s sets working-directory; the check resolves paths from the repository root", where)
					}
				}
			}
		})
	}
}

func stepName(i int, s step) string {
	if s.Name != "" {
		return "'" + s.Name + "'"
	}
	return "#" + string(rune('1'+i))
}

// TestPerfWorkflowDoesWhatCIRelies on checks the perf workflow's shape:
// on pull requests, the suite on the embedded server, a LocalStack job,
// and reports uploaded even when the suite fails.
func TestPerfWorkflowDoesWhatCIReliesOn(t *testing.T) {
	w := load(t, repoRoot(t), "perf.yml")
	assert.Contains(t, w.On, "pull_request")
	runs, uses := stepsOf(w)
	assert.True(t, anyMatch(runs, `go test .*\./runner .*-run Scenario|go test .*-run Scenario .*\./runner`), "runs the scenario suite: %q", runs)
	assert.True(t, anyMatch(runs, `runner run .*-backend localstack`), "runs the suite on LocalStack: %q", runs)
	assert.True(t, anyMatch(uses, `^actions/upload-artifact@`), "uploads reports")
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
				assert.Equal(t, "always()", s.If, "reports are uploaded even when the suite fails")
			}
		}
	}
}

func TestBaselinesWorkflowRefreshesAndOpensAPullRequest(t *testing.T) {
	w := load(t, repoRoot(t), "baselines.yml")
	// On a schedule and by hand: a run per push to main opened a pull
	// request per push.
	assert.Contains(t, w.On, "workflow_dispatch")
	assert.Contains(t, w.On, "schedule")
	assert.NotContains(t, w.On, "push")
	runs, uses := stepsOf(w)
	assert.True(t, anyMatch(runs, `^make baselines$`), "runs make baselines: %q", runs)
	require.True(t, anyMatch(uses, `^peter-evans/create-pull-request@`), "opens a pull request")
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if !strings.HasPrefix(s.Uses, "peter-evans/create-pull-request@") {
				continue
			}
			// One refresh pull request, updated in place, opened with a
			// token whose events start the perf checks when one is set.
			assert.Equal(t, "sqsperf/refresh-baselines", s.With["branch"])
			assert.Contains(t, s.With["token"], "secrets.BASELINES_PR_TOKEN")
			assert.Contains(t, s.With["token"], "steps.app-token.outputs.token")
			assert.Contains(t, s.With["body"], "Close and reopen it", "says how to start the checks without a token")
		}
	}
}

func stepsOf(w workflow) (runs, uses []string) {
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.Run != "" {
				runs = append(runs, strings.TrimSpace(s.Run))
			}
			if s.Uses != "" {
				uses = append(uses, s.Uses)
			}
		}
	}
	return runs, uses
}

func anyMatch(list []string, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, s := range list {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// reporter is where a check reports a problem: a *testing.T, or a
// recorder in the tests that prove each check can fail.
type reporter interface {
	Errorf(format string, args ...any)
}

// repo answers "does this exist here?" for the checks.
type repo struct {
	root        string
	makeTargets map[string]bool
}

func newRepo(t *testing.T, root string) *repo {
	r := &repo{root: root, makeTargets: map[string]bool{}}
	f, err := os.Open(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	defer f.Close()
	target := regexp.MustCompile(`^([A-Za-z0-9_.-]+)\s*:([^=]|$)`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := target.FindStringSubmatch(sc.Text()); m != nil && !strings.HasPrefix(m[1], ".") {
			r.makeTargets[m[1]] = true
		}
	}
	require.NoError(t, sc.Err())
	return r
}

func (r *repo) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(rel)))
	return err == nil
}

var actionRef = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[A-Za-z0-9_.-]+$`)

func (r *repo) checkUses(t reporter, where, uses string) {
	if strings.HasPrefix(uses, "./") {
		assert.True(t, r.exists(uses), "%s uses local action %s, which does not exist", where, uses)
		return
	}
	assert.Regexp(t, actionRef, uses, "%s: an action must be owner/repo@version", where)
}

// commandsAllowed are the programs a step may call that are not part of
// the repository; anything else must be a script in it.
var commandsAllowed = map[string]bool{
	"go": true, "make": true, "docker": true, "echo": true, "printf": true, "test": true, "cat": true,
	"ls": true, "mkdir": true, "cd": true, "sudo": true, "apt-get": true, "git": true, "gh": true,
	"bash": true, "sh": true, "tee": true, "true": true, "set": true, "export": true,
}

var envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func (r *repo) checkRun(t reporter, where, script string) {
	cmds, err := Commands(script)
	if !assert.NoError(t, err, "%s: %q", where, script) {
		return
	}
	for _, words := range cmds {
		for len(words) > 0 && envAssign.MatchString(words[0]) {
			words = words[1:]
		}
		if len(words) > 0 && words[0] == "sudo" {
			words = words[1:]
		}
		if len(words) == 0 {
			continue
		}
		switch name := words[0]; {
		case name == "make":
			r.checkMake(t, where, words[1:])
		case name == "go":
			r.checkGo(t, where, words[1:])
		case name == "bash" || name == "sh":
			if len(words) > 1 && !strings.HasPrefix(words[1], "-") {
				assert.True(t, r.exists(words[1]), "%s runs script %s, which does not exist", where, words[1])
			}
		case strings.HasPrefix(name, "./") || strings.Contains(name, "/"):
			fi, err := os.Stat(filepath.Join(r.root, name))
			if assert.NoError(t, err, "%s runs %s, which does not exist", where, name) {
				assert.NotZero(t, fi.Mode()&0o111, "%s runs %s, which is not executable", where, name)
			}
		default:
			assert.True(t, commandsAllowed[name], "%s calls %q, which is neither a known tool nor a script in the repository", where, name)
		}
	}
}

func (r *repo) checkMake(t reporter, where string, args []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-C" || a == "-f":
			t.Errorf("%s: make %s changes the Makefile; the check reads only the repository's Makefile", where, a)
			return
		case strings.HasPrefix(a, "-") || envAssign.MatchString(a):
		default:
			assert.True(t, r.makeTargets[a], "%s runs make %s, but the Makefile has no target %q", where, a, a)
		}
	}
}

// goFlagsWithValue are the go command flags whose value is the next word.
var goFlagsWithValue = map[string]bool{
	"-run": true, "-skip": true, "-bench": true, "-benchtime": true, "-count": true, "-timeout": true,
	"-cpu": true, "-parallel": true, "-p": true, "-tags": true, "-fuzz": true, "-fuzztime": true,
	"-coverprofile": true, "-o": true, "-ldflags": true, "-gcflags": true, "-shuffle": true,
	"-covermode": true, "-coverpkg": true, "-exec": true, "-mod": true, "-modfile": true,
}

func (r *repo) checkGo(t reporter, where string, args []string) {
	if len(args) == 0 {
		t.Errorf("%s: bare 'go'", where)
		return
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "mod", "version", "env", "install", "generate", "work", "tool":
		return
	case "test", "build", "vet", "run":
	default:
		t.Errorf("%s: go %s is not a go command the check knows", where, sub)
		return
	}
	var pkgs []string
	runPattern := ""
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flag, _, hasValue := strings.Cut(a, "=")
			if goFlagsWithValue[flag] && !hasValue && i+1 < len(args) {
				if flag == "-run" {
					runPattern = args[i+1]
				}
				i++
			} else if flag == "-run" && hasValue {
				runPattern = strings.SplitN(a, "=", 2)[1]
			}
			continue
		}
		pkgs = append(pkgs, a)
		if sub == "run" {
			i++
			break // what follows the package is the program's own arguments
		}
	}
	for _, p := range pkgs {
		if !strings.HasPrefix(p, "./") && p != "." {
			continue // a module path or a file: not something this repository owns
		}
		dir := strings.TrimSuffix(strings.TrimSuffix(p, "/..."), "...")
		assert.True(t, r.exists(dir), "%s: go %s %s, but %s does not exist", where, sub, p, dir)
		if runPattern != "" && !strings.HasSuffix(p, "...") {
			r.checkTestExists(t, where, dir, runPattern)
		}
	}
	if sub == "run" && len(pkgs) == 1 && strings.TrimPrefix(pkgs[0], "./") == "runner/cmd/runner" {
		r.checkRunnerArgs(t, where, args[i:])
	}
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)

// checkTestExists makes sure -run selects at least one test in dir, so a
// renamed test does not turn the step into one that runs nothing.
func (r *repo) checkTestExists(t reporter, where, dir, pattern string) {
	re, err := regexp.Compile(strings.Split(pattern, "/")[0])
	if !assert.NoError(t, err, "%s: -run %q", where, pattern) {
		return
	}
	files, _ := filepath.Glob(filepath.Join(r.root, dir, "*_test.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if !assert.NoError(t, err) {
			return
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(data), -1) {
			if re.MatchString(m[1]) {
				return
			}
		}
	}
	t.Errorf("%s: -run %q selects no test in %s", where, pattern, dir)
}

// checkRunnerArgs asks the runner's own CLI (in memory, with -h) whether
// the subcommand exists and takes each flag the step passes, and checks
// that the scenario files it names are there.
func (r *repo) checkRunnerArgs(t reporter, where string, args []string) {
	var command []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && !strings.Contains(args[0], "/") {
		command, args = append(command, args[0]), args[1:]
	}
	var out bytes.Buffer
	st := &cli.State{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	err := cli.Run(context.Background(), st, append(append([]string{}, command...), "-h"))
	help := out.String()
	if err != nil {
		help += "\n" + err.Error()
	}
	if !assert.NotContains(t, help, "unknown command", "%s: runner %s is not a runner command", where, strings.Join(command, " ")) {
		return
	}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
			flag, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			assert.Regexp(t, `(?m)^\s+-`+regexp.QuoteMeta(flag)+`\b`, help, "%s: runner %s has no flag -%s", where, strings.Join(command, " "), flag)
		case strings.ContainsAny(a, "*?["):
			matches, err := filepath.Glob(filepath.Join(r.root, a))
			assert.NoError(t, err)
			assert.NotEmpty(t, matches, "%s: %s matches no file", where, a)
		case strings.Contains(a, "/") && !strings.Contains(a, "$"):
			assert.True(t, r.exists(a), "%s: %s does not exist", where, a)
		}
	}
}
