package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
)

func TestScrub(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no secrets here: p99(stage.process) < 50ms", "no secrets here: p99(stage.process) < 50ms"},
		{"key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED] used"},
		{"temporary ASIAY34FZKBOKMUTVV7A", "temporary [REDACTED]"},
		{"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[REDACTED]"},
		{`{"aws_secret_access_key": "abc123def456"}`, `{"aws_secret_access_key": "[REDACTED]"}`},
		{"LOCALSTACK_AUTH_TOKEN=ls-abcd1234-xyz", "LOCALSTACK_AUTH_TOKEN=[REDACTED]"},
		{"AWS_SESSION_TOKEN: FQoGZXIvYXdzEJr", "AWS_SESSION_TOKEN: [REDACTED]"},
		{"db password=hunter22 host=x", "db password=[REDACTED] host=x"},
		{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "Authorization: [REDACTED] [REDACTED]"},
		{"Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/sqs/aws4_request, Signature=0123456789abcdef",
			"Credential=[REDACTED]/20261128/us-east-1/sqs/aws4_request, Signature=[REDACTED]"},
		{"secret key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked", "secret key [REDACTED] leaked"},
		// A git commit id is 40 characters too, but never mixed case.
		{"built at 9fceb02d0ae598e95dc970b74767f19372d61af8", "built at 9fceb02d0ae598e95dc970b74767f19372d61af8"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, newScrubber(nil).scrub(tc.in), "input %q", tc.in)
	}
}

func TestScrubRemovesValuesOfSecretNamedEnvironmentVariables(t *testing.T) {
	t.Setenv("MY_SERVICE_PASSWORD", "correct-horse-battery")
	t.Setenv("GITHUB_TOKEN", "ghp_0123456789abcdefghij")
	t.Setenv("SHORT_TOKEN", "1")     // too short to redact everywhere
	t.Setenv("REGION", "eu-west-1x") // not secret-named

	got := Scrub("connect with correct-horse-battery and ghp_0123456789abcdefghij in eu-west-1x, retries 1")
	assert.Equal(t, "connect with [REDACTED] and [REDACTED] in eu-west-1x, retries 1", got)
}

func TestEveryOutputIsScrubbed(t *testing.T) {
	const token = "lsTOKENvalue-7f3a9c"
	t.Setenv("LOCALSTACK_AUTH_TOKEN", token)
	s := fixture(4)
	s.Error = "localstack refused token " + token
	s.Environment["endpoint"] = "http://user:" + token + "@localhost:4566"
	s.Cases[0].Runs[0].Series[0].Name = "tick.lag " + token
	s.Cases[1].Runs[1].Accounting.LostIDs = []string{"task-" + token}

	writers := map[string]func(io.Writer, *result.Scenario) error{
		"json": WriteJSON, "markdown": WriteMarkdown, "html": WriteHTML, "junit": WriteJUnit,
		"suite-md":    func(w io.Writer, s *result.Scenario) error { return WriteSuiteMarkdown(w, []*result.Scenario{s}) },
		"suite-junit": func(w io.Writer, s *result.Scenario) error { return WriteSuiteJUnit(w, []*result.Scenario{s}) },
	}
	for name, w := range writers {
		var buf bytes.Buffer
		require.NoError(t, w(&buf, s), name)
		out := buf.String()
		assert.NotContains(t, out, token, name)
		assert.NotContains(t, out, "AKIAIOSFODNN7EXAMPLE", name)
		assert.NotContains(t, out, "wJalrXUtnFEMI", name)
	}

	summary := filepath.Join(t.TempDir(), "summary")
	files, err := Write(s, Options{Dir: t.TempDir(), StepSummary: summary})
	require.NoError(t, err)
	for _, p := range []string{files.JSON, files.Markdown, files.HTML, files.JUnit, summary} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(data), token, p)
	}
	// Scrubbing works on a copy: the caller's result keeps its text.
	assert.Contains(t, s.Error, token)
}

func FuzzScrub(f *testing.F) {
	for _, s := range []string{"AKIAIOSFODNN7EXAMPLE", "token=abc", "Bearer abcdefghijk", "x=1", `{"password": "p"}`, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"} {
		f.Add(s)
	}
	sc := newScrubber([]string{"MY_TOKEN=fuzz-secret-value"})
	f.Fuzz(func(t *testing.T, s string) {
		out := sc.scrub(s)
		if accessKeyID.MatchString(out) {
			t.Fatalf("an access key id survived: %q -> %q", s, out)
		}
		if strings.Contains(out, "fuzz-secret-value") {
			t.Fatalf("an environment secret survived: %q -> %q", s, out)
		}
	})
}
