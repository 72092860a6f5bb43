package workflowcheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder collects what a check reports, to prove the checks fail when
// a workflow references something that is not there.
type recorder struct{ problems []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func TestChecksCatchWhatDoesNotExist(t *testing.T) {
	repo := newRepo(t, repoRoot(t))
	for _, tc := range []struct{ script, want string }{
		{"make baseline", `no target "baseline"`},
		{"mkae test", `calls "mkae"`},
		{"go test ./runer -run Scenario", "./runer does not exist"},
		{"go test ./runner -run Scenaryo", `selects no test`},
		{"go run ./runner/cmd/runner rnu scenarios/stress.yaml", "is not a runner command"},
		{"go run ./runner/cmd/runner run -backnd localstack scenarios/*.yaml", "has no flag -backnd"},
		{"go run ./runner/cmd/runner run -backend localstack scenarios/*.yml", "matches no file"},
		{"go run ./runner/cmd/runner run scenarios/nope.yaml", "does not exist"},
		{"bash .ci/nope", "does not exist"},
		{"./scripts/nope.sh", "does not exist"},
		{"echo $(date)", "unsupported shell syntax"},
		{"go frobnicate ./...", "not a go command"},
	} {
		var rec recorder
		repo.checkRun(&rec, "step", tc.script)
		if assert.NotEmpty(t, rec.problems, "%q should be reported", tc.script) {
			assert.Contains(t, strings.Join(rec.problems, "\n"), tc.want, tc.script)
		}
	}
	var rec recorder
	repo.checkUses(&rec, "step", "actions/checkout")
	assert.NotEmpty(t, rec.problems, "an action without a version")
}

func TestChecksPassWhatExists(t *testing.T) {
	repo := newRepo(t, repoRoot(t))
	for _, script := range []string{
		"make test && make lint",
		"CI=true go test -race -count=1 ./runner/report/... ./runner/sqsbackend",
		"go test -count=1 -timeout 25m ./runner -run Scenario -v",
		"go run ./runner/cmd/runner run -backend localstack -no-baseline -size 0.5 -out reports-localstack scenarios/*.yaml",
		"go run ./runner/cmd/runner baseline update -scenario scenarios/stress.yaml",
		"sudo apt-get update\nsudo apt-get install -y chromium  # for the report test",
		"bash .ci/run",
	} {
		var rec recorder
		repo.checkRun(&rec, "step", script)
		assert.Empty(t, rec.problems, script)
	}
}

func TestCommands(t *testing.T) {
	cmds, err := Commands("FOO=1 go test ./x -run 'A B' \\\n  -v && echo \"a \\\"b\\\"\" # comment\nmake lint; ls|cat")
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"FOO=1", "go", "test", "./x", "-run", "A B", "-v"},
		{"echo", `a "b"`},
		{"make", "lint"},
		{"ls"},
		{"cat"},
	}, cmds)

	_, err = Commands("echo 'open")
	assert.ErrorContains(t, err, "unterminated")
	_, err = Commands("cat <<EOF")
	assert.ErrorContains(t, err, "unsupported")
	cmds, err = Commands("echo a#b")
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"echo", "a#b"}}, cmds, "# inside a word is not a comment")
}

func FuzzCommands(f *testing.F) {
	for _, s := range []string{"make test", "go test ./... -run 'X|Y'", "a && b || c; d | e & f", "echo \"x\\\"y\" # c", "x \\\n y", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cmds, err := Commands(script)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if len(c) == 0 {
				t.Fatalf("empty command from %q", script)
			}
		}
	})
}
