// Package report writes what a scenario run measured and judged in the
// four forms people and CI read: result.json (everything, versioned),
// summary.md (a pull-request-sized table, also appended to GitHub's step
// summary), report.html (one self-contained page with the charts) and
// junit.xml (for CI test tabs). Every string is scrubbed of credentials
// before it is written, and every path stays inside the output root.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sqsperf/sqsperf/runner/result"
)

// Options says where reports go.
type Options struct {
	// Dir is the output root ("reports"); each scenario gets a directory
	// below it named after the scenario.
	Dir string
	// StepSummary is the path in $GITHUB_STEP_SUMMARY; when set the
	// scenario's summary is appended to it.
	StepSummary string
}

// Files are the paths Write produced.
type Files struct {
	Dir      string
	JSON     string
	Markdown string
	HTML     string
	JUnit    string
}

// File names inside a scenario's report directory. Summary links use them
// relative to that directory.
const (
	JSONFile     = "result.json"
	MarkdownFile = "summary.md"
	HTMLFile     = "report.html"
	JUnitFile    = "junit.xml"
)

// Write renders s into Dir/<scenario>/ as result.json, summary.md,
// report.html and junit.xml, and appends the summary to StepSummary when
// that is set. Each file is written completely or not at all (temporary
// file and rename), so a crash never leaves a half-written report that CI
// would then fail to parse.
func Write(s *result.Scenario, opt Options) (Files, error) {
	if s == nil {
		return Files{}, errors.New("report: no scenario result to write")
	}
	dir, err := ScenarioDir(opt.Dir, s.Name)
	if err != nil {
		return Files{}, err
	}
	if err := ensureDir(dir); err != nil {
		return Files{}, err
	}
	clean := sanitize(s, newScrubber(os.Environ()))
	files := Files{
		Dir:      dir,
		JSON:     filepath.Join(dir, JSONFile),
		Markdown: filepath.Join(dir, MarkdownFile),
		HTML:     filepath.Join(dir, HTMLFile),
		JUnit:    filepath.Join(dir, JUnitFile),
	}
	writers := []struct {
		path  string
		write func(io.Writer, *result.Scenario) error
	}{
		{files.JSON, writeJSON},
		{files.Markdown, writeMarkdown},
		{files.HTML, writeHTML},
		{files.JUnit, writeJUnit},
	}
	for _, w := range writers {
		if err := writeFileAtomic(w.path, func(out io.Writer) error { return w.write(out, clean) }); err != nil {
			return files, err
		}
	}
	if opt.StepSummary != "" {
		if err := appendStepSummary(opt.StepSummary, clean, dir); err != nil {
			return files, err
		}
	}
	return files, nil
}

// ScenarioDir returns root/<name> with name made safe as one directory
// name: anything but letters, digits, '.', '_' and '-' becomes '-',
// leading dots become '_' (no "..", no hidden directories), and the
// result is checked to stay inside root. A scenario name comes from a
// YAML file someone else may have written, so it must never reach a path
// outside the output directory.
func ScenarioDir(root, scenarioName string) (string, error) {
	safe := SafeName(scenarioName)
	if safe == "" {
		return "", fmt.Errorf("report: scenario name %q has no characters usable in a directory name: give the scenario a name made of letters, digits, '-', '_' or '.'", scenarioName)
	}
	if root == "" {
		root = "."
	}
	dir := filepath.Join(root, safe)
	rel, err := filepath.Rel(root, dir)
	if err != nil || !filepath.IsLocal(rel) || strings.ContainsRune(rel, filepath.Separator) {
		return "", fmt.Errorf("report: scenario name %q would leave the output directory %s", scenarioName, root)
	}
	return dir, nil
}

// maxNameLen keeps directory names well under file-system limits.
const maxNameLen = 100

// SafeName maps a scenario name to the directory name ScenarioDir uses.
func SafeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	safe := b.String()
	lead := len(safe) - len(strings.TrimLeft(safe, "."))
	safe = strings.Repeat("_", lead) + safe[lead:]
	if !strings.ContainsFunc(safe, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}) {
		// "..", "---", "_": nothing that names the scenario is left.
		return ""
	}
	if len(safe) > maxNameLen {
		safe = safe[:maxNameLen]
	}
	return safe
}

// ensureDir creates dir, refusing a symbolic link in its place: a link
// planted under reports/ would otherwise redirect writes anywhere.
func ensureDir(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("report: %s is a symbolic link; remove it or choose another output directory", dir)
	case err == nil && !fi.IsDir():
		return fmt.Errorf("report: %s exists and is not a directory; remove it or choose another output directory", dir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("report: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: creating the report directory: %w", err)
	}
	return nil
}

func writeFileAtomic(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return fmt.Errorf("report: rendering %s: %w", filepath.Base(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// appendStepSummary appends the scenario's summary to GitHub's step
// summary. Links there would point at nothing (the files are in the
// artifact, whose root is the output directory), so it names the
// report's path inside the artifact instead.
func appendStepSummary(path string, s *result.Scenario, dir string) error {
	var buf bytes.Buffer
	if err := renderMarkdown(&buf, s, markdownOptions{artifactPath: filepath.Base(dir), reportDir: dir}); err != nil {
		return err
	}
	buf.WriteString("\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("report: opening the step summary $GITHUB_STEP_SUMMARY: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("report: appending to the step summary: %w", err)
	}
	return f.Close()
}

// The exported single-format writers scrub their input like Write does,
// so a caller that streams one format gets the same guarantees.

// WriteJSON writes s as versioned JSON (result.json).
func WriteJSON(w io.Writer, s *result.Scenario) error { return writeJSON(w, cleanOf(s)) }

// WriteMarkdown writes the PR-comment summary of s (summary.md).
func WriteMarkdown(w io.Writer, s *result.Scenario) error { return writeMarkdown(w, cleanOf(s)) }

// WriteHTML writes the self-contained HTML page for s (report.html).
func WriteHTML(w io.Writer, s *result.Scenario) error { return writeHTML(w, cleanOf(s)) }

// WriteJUnit writes s as a JUnit XML document with one test suite.
func WriteJUnit(w io.Writer, s *result.Scenario) error { return writeJUnit(w, cleanOf(s)) }

// WriteSuiteMarkdown writes one table over several scenarios, for the step
// summary of a run of the whole suite.
func WriteSuiteMarkdown(w io.Writer, all []*result.Scenario) error {
	return writeSuiteMarkdown(w, cleanAll(all))
}

// WriteSuiteJUnit writes one JUnit document with a test suite per scenario.
func WriteSuiteJUnit(w io.Writer, all []*result.Scenario) error {
	return writeSuiteJUnit(w, cleanAll(all))
}

func cleanOf(s *result.Scenario) *result.Scenario {
	if s == nil {
		return &result.Scenario{SchemaVersion: result.SchemaVersion, Verdict: result.VerdictError, Error: "no result"}
	}
	return sanitize(s, newScrubber(os.Environ()))
}

func cleanAll(all []*result.Scenario) []*result.Scenario {
	sc := newScrubber(os.Environ())
	out := make([]*result.Scenario, 0, len(all))
	for _, s := range all {
		if s != nil {
			out = append(out, sanitize(s, sc))
		}
	}
	return out
}
