// Package baseline stores what a scenario case measured, every sample of
// every metric from N repeats with the machine's fingerprint and the
// scenario's hash, as a diffable JSON file under baselines/, and loads
// it back refusing anything it cannot trust: another version, another
// scenario's file, a corrupt or absurd sample, a file too large to be
// one. Comparing a run against it is runner/verdict's job.
package baseline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
)

// Version is the version of the baseline file format. Load refuses
// other versions instead of guessing, because a misread baseline would
// produce confident wrong verdicts.
const Version = 1

// Baseline is every sample of every metric of one scenario case, from N
// repeats, with what is needed to know whether it is comparable.
type Baseline struct {
	Version  int
	Scenario string
	Case     string
	// Size is the scale factor (-size) the samples were measured at; 0
	// and 1 both mean the scenario as written. Counts and durations move
	// with it, so verdict.Compare refuses a run of another size.
	Size         float64
	ScenarioHash string
	Fingerprint  fingerprint.Fingerprint
	Created      time.Time
	// Samples maps a flat metric key (metric.Key) to one value per repeat.
	Samples map[string][]float64

	// path is where Load read the baseline from; verdict.Compare reports it.
	path string
}

// File is the path the baseline was loaded from ("" if it was built in memory).
func (b *Baseline) File() string { return b.path }

// FromCase builds a baseline from the runs of one case. Values that are
// not finite (a metric that could not be computed in a run) are left out:
// they cannot be stored in JSON nor ranked, and the shorter sample list
// shows that they are missing.
func FromCase(scenario string, hash string, fp fingerprint.Fingerprint, c result.Case) *Baseline {
	b := &Baseline{
		Version:      Version,
		Scenario:     scenario,
		Case:         c.Name,
		ScenarioHash: hash,
		Fingerprint:  fp,
		Created:      time.Now().UTC().Truncate(time.Second),
		Samples:      map[string][]float64{},
	}
	for _, run := range c.Runs {
		for key, v := range run.Metrics {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			b.Samples[key] = append(b.Samples[key], v)
		}
	}
	return b
}

// Path returns the baseline file of a scenario case inside dir:
// dir/<scenario>.json for a scenario without a matrix (case name equal to
// the scenario's name, or empty), dir/<scenario>__<params>.json for a
// matrix case such as "scalability/workers=4". Names come from scenario
// files, so they are reduced to one safe file name inside dir: characters
// other than letters, digits and ._=,+- become '_', a leading dot is
// replaced, and when anything had to be replaced a short hash of the
// original name is appended so two different cases never share a file.
func Path(dir, scenario, caseName string) string {
	name := safeName(scenario)
	params := strings.TrimPrefix(caseName, scenario+"/")
	if caseName != "" && caseName != scenario {
		name += "__" + safeName(params)
	}
	return filepath.Join(dir, name+".json")
}

func safeName(s string) string {
	var b strings.Builder
	changed := s == ""
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_=,+-", r) || r == '.' && i > 0
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
			changed = true
		}
	}
	out := b.String()
	if len(out) > 100 {
		out, changed = out[:100], true
	}
	if changed {
		sum := sha256.Sum256([]byte(s))
		out += "-" + hex.EncodeToString(sum[:4])
	}
	return out
}

// MissingWarning is the message for a run that has no baseline to compare
// with: a warning, not a failure, that says how to create one.
func MissingWarning(path, scenarioFile string) string {
	return fmt.Sprintf("no baseline at %s, so this run was not compared with one; create it with: runner baseline update -scenario %s",
		path, scenarioFile)
}

// fileForm is the JSON form of a Baseline. Samples are written by hand
// (see Save), so they are not part of it.
type fileForm struct {
	Version  int    `json:"version"`
	Scenario string `json:"scenario"`
	Case     string `json:"case"`
	// Size is a pointer so that a file written before the field existed
	// (always at full size) reads as 1, while a written 0 is an error.
	Size         *float64                `json:"size,omitempty"`
	ScenarioHash string                  `json:"scenario_hash"`
	Created      time.Time               `json:"created"`
	Fingerprint  fingerprint.Fingerprint `json:"fingerprint"`
	Samples      map[string][]float64    `json:"samples"`
}

// Load reads a baseline file. A missing file gives an error that wraps
// os.ErrNotExist (see MissingWarning); a file that cannot be used (too
// large, malformed, another version, impossible values) names the file,
// the line and what is wrong.
func Load(path string) (*Baseline, error) {
	data, err := readCapped(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if err == nil {
		var b *Baseline
		if b, err = parse(data); err == nil {
			b.path = path
			return b, nil
		}
	}
	return nil, fmt.Errorf("baseline %s: %w; %s", path, err, fixHint)
}

// LoadFor reads the baseline of one scenario case (see Load) and checks
// that the file is that case's: a file copied or merged from another
// scenario would otherwise judge this one against foreign numbers.
func LoadFor(path, scenario, caseName string) (*Baseline, error) {
	b, err := Load(path)
	if err != nil {
		return nil, err
	}
	if err := b.belongsTo(scenario, caseName); err != nil {
		return nil, fmt.Errorf("baseline %s: %w; %s", path, err, fixHint)
	}
	return b, nil
}

const fixHint = "fix the file or recreate it with 'runner baseline update'"

func parse(data []byte) (*Baseline, error) {
	// null, [] and the like decode without an error into an empty object,
	// and would read as a baseline of version 0: name what was found.
	body := bytes.TrimLeft(data, " \t\r\n")
	if len(body) == 0 {
		return nil, errors.New("the file is empty")
	}
	if body[0] != '{' {
		return nil, fmt.Errorf(`line %d: the file must hold one JSON object such as {"version": %d, ...}, found %s`,
			lineOf(data, len(data)-len(body)), Version, jsonKind(body[0]))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileForm
	if err := dec.Decode(&f); err != nil {
		return nil, describeJSONError(data, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("line %d: unexpected data after the baseline object", lineOf(data, int(dec.InputOffset())))
	}
	if f.Version != Version {
		return nil, fmt.Errorf("version %d is not supported (this runner reads version %d)", f.Version, Version)
	}
	size := 1.0
	if f.Size != nil {
		size = *f.Size
		if !(size > 0) || math.IsInf(size, 0) {
			return nil, fmt.Errorf(`field "size" is %v; it must be the -size factor the baseline was taken at, a number above 0 (1 is full size)`, size)
		}
	}
	if err := checkSamples(f.Samples); err != nil {
		return nil, err
	}
	return &Baseline{
		Version: f.Version, Scenario: f.Scenario, Case: f.Case, Size: size, ScenarioHash: f.ScenarioHash,
		Fingerprint: f.Fingerprint, Created: f.Created, Samples: f.Samples,
	}, nil
}

func describeJSONError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("line %d: malformed JSON: %v", lineOf(data, int(syntax.Offset)), syntax)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: field %q: expected %v, found a JSON %s", lineOf(data, int(typ.Offset)), typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: the file ends in the middle of the baseline (truncated, or a merge cut it)", lineOf(data, len(data)))
	}
	return fmt.Errorf("malformed baseline: %v", err)
}

// jsonKind names the JSON value that starts with c.
func jsonKind(c byte) string {
	switch {
	case c == 'n':
		return "null"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return fmt.Sprintf("%q, which is not JSON", []byte{c})
}

func lineOf(data []byte, offset int) int {
	offset = min(max(offset, 0), len(data))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

// Save writes b to path atomically (a temporary file in the same directory,
// synced to disk, then a rename, then a sync of the directory), so neither
// an interrupted update nor a crash of the machine ever leaves half a
// baseline: the path holds the old file or the whole new one.
// The layout is meant to read well in a pull request diff: fixed field
// order, metrics sorted by key, one metric's samples per line, a
// trailing newline.
func Save(path string, b *Baseline) error {
	if err := save(path, b); err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	return nil
}

// fileOps are the file system steps of save whose order makes it crash
// safe; a test replaces them to check that order.
var fileOps = struct {
	sync   func(*os.File) error
	rename func(from, to string) error
}{sync: (*os.File).Sync, rename: os.Rename}

func save(path string, b *Baseline) error {
	data, err := encode(b)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".baseline-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	// Without the sync, a crash soon after the rename can leave the new
	// name pointing at an empty or partial file on many file systems.
	if err := fileOps.sync(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing the new file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := fileOps.rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename itself is an entry of the directory: sync it so that it
	// survives a crash too.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := fileOps.sync(d); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

func encode(b *Baseline) ([]byte, error) {
	if b == nil {
		return nil, errors.New("nothing to save (nil baseline)")
	}
	version := b.Version
	if version == 0 {
		version = Version
	}
	size := NormSize(b.Size)
	if math.IsInf(size, 0) || math.IsNaN(size) || size < 0 {
		return nil, fmt.Errorf("size %v cannot be stored: it must be a number above 0", b.Size)
	}
	header := fileForm{
		Version: version, Scenario: b.Scenario, Case: b.Case, Size: &size, ScenarioHash: b.ScenarioHash,
		Created: b.Created, Fingerprint: b.Fingerprint,
	}
	head, err := json.MarshalIndent(header, "", "  ")
	if err != nil {
		return nil, err
	}
	// MarshalIndent ends with `  "samples": null` + "\n}"; replace that
	// field with the hand-written one-line-per-metric form.
	const nullSamples = `  "samples": null` + "\n}"
	if !bytes.HasSuffix(head, []byte(nullSamples)) {
		return nil, errors.New("internal error: unexpected baseline header layout")
	}
	var buf bytes.Buffer
	buf.Write(head[:len(head)-len(nullSamples)])
	buf.WriteString(`  "samples": {`)
	keys := make([]string, 0, len(b.Samples))
	for k := range b.Samples {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		buf.WriteString("\n    ")
		buf.Write(name)
		buf.WriteString(": [")
		for j, v := range b.Samples[k] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("metric %q repeat %d is %v, which a baseline cannot store", k, j+1, v)
			}
			if j > 0 {
				buf.WriteString(", ")
			}
			buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		buf.WriteByte(']')
	}
	if len(keys) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("}\n}\n")
	return buf.Bytes(), nil
}
