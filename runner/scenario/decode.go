package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sqsperf/sqsperf/runner/internal/suggest"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/threshold"
	"github.com/sqsperf/sqsperf/runner/units"
)

// maxFileSize bounds what is read: a scenario is a page of YAML.
const maxFileSize = 1 << 20

// extensionPrefix marks top-level keys the decoder ignores, as in Docker
// Compose files: x-io: &io {...} defines an anchor to reuse below.
const extensionPrefix = "x-"

// maxCases bounds a matrix's expansion.
const maxCases = 256

// Load reads, decodes, applies defaults to and validates a scenario file.
// A non-nil error is an ErrorList naming every problem found.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already named in front
		}
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}}
	}
	return Parse(path, data)
}

// Parse decodes a scenario from data; path names it in errors and sets
// the default name. It applies defaults and validates, returning every
// problem as an ErrorList.
func Parse(path string, data []byte) (*Scenario, error) {
	d := &decoder{file: path}
	if len(data) > maxFileSize {
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("file is larger than %s: a scenario is a page of YAML", units.FormatSize(maxFileSize))}}
	}
	root, err := d.document(data)
	if err != nil {
		return nil, err
	}
	s := &Scenario{File: path, Source: data, positions: map[string]position{}}
	applyDefaults(s)
	s.Name = defaultName(path)
	d.object(root, rootFields, "", s)
	// A value that failed to decode kept its (valid) default, so the
	// range and cross-field checks add only problems of their own.
	d.errs = append(d.errs, s.validate()...)
	if err := d.errs.dedupe().errOrNil(); err != nil {
		return nil, err
	}
	return s, nil
}

func defaultName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) add(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxSyntaxSearchLines bounds the search for a syntax error's real line:
// each step re-parses a prefix, and a file this long is not a scenario.
const maxSyntaxSearchLines = 20000

// syntaxErrorLine returns the line a YAML syntax error is really on.
// yaml.v3 puts the line of the *context* in its message when it has one
// ("while parsing a block mapping" started at the top of the document),
// not the line of the problem, so a fault on line 24 was reported on line
// 5. The problem is on the first line at which a prefix of the file stops
// parsing: every prefix that ends before it is valid YAML. reported is
// where the search starts (the context is never after the problem).
func syntaxErrorLine(data []byte, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxSyntaxSearchLines {
		return reported
	}
	fails := func(n int) bool {
		var doc yaml.Node
		err := safeDecode(yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))), &doc)
		return err != nil && err != io.EOF
	}
	// Binary search for the shortest failing prefix: a prefix that ends
	// before the fault parses, one that includes it does not.
	lo, hi := max(reported-1, 0), len(lines) // fails(lo) is false or lo==0; fails(hi) is true
	if lo > 0 && fails(lo) {
		lo = 0
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if !fails(hi) {
		return reported
	}
	return hi
}

// document parses the YAML text into its root node: exactly one
// document holding a mapping.
func (d *decoder) document(data []byte) (root *yaml.Node, err error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if derr := safeDecode(dec, &doc); derr != nil {
		if derr == io.EOF {
			return nil, ErrorList{{File: d.file, Msg: "the file is empty: a scenario needs at least a name or load section (see scenarios/stress.yaml)"}}
		}
		e := &Error{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(derr.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(derr.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = "invalid YAML: " + m[2]
			e.Line = syntaxErrorLine(data, e.Line)
		}
		return nil, ErrorList{e}
	}
	var extra yaml.Node
	if derr := safeDecode(dec, &extra); derr != io.EOF {
		e := &Error{File: d.file, Msg: "more than one YAML document ('---'): put one scenario in each file"}
		if derr == nil {
			e.Line = extra.Line
		}
		return nil, ErrorList{e}
	}
	if len(doc.Content) == 0 {
		return nil, ErrorList{{File: d.file, Msg: "the file holds no scenario"}}
	}
	root = resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			return nil, ErrorList{{File: d.file, Msg: "the file holds no scenario"}}
		}
		return nil, ErrorList{{File: d.file, Line: root.Line, Column: root.Column,
			Msg: "a scenario is a mapping of keys such as name, service, load and thresholds"}}
	}
	return root, nil
}

// safeDecode turns a panic inside the YAML library into an error, so that
// no input can crash the runner.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input: %v", r)
		}
	}()
	return dec.Decode(n)
}

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "an unsupported YAML node"
}

// object decodes a mapping into the fields fs.
func (d *decoder) object(n *yaml.Node, fs []*field, parent string, s *Scenario) {
	n = resolve(n)
	if isNull(n) {
		return // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, parent, "must be a mapping with keys such as %s; found %s", strings.Join(keysOf(fs)[:min(3, len(fs))], ", "), describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.add(k, parent, "keys must be plain names, found %s", describe(k))
			continue
		}
		key := k.Value
		if key == "<<" {
			d.add(k, parent, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		if line, dup := seen[key]; dup {
			d.add(k, join(parent, key), "set twice (first on line %d): keep one", line)
			continue
		}
		seen[key] = k.Line
		if parent == "" && strings.HasPrefix(key, extensionPrefix) {
			continue // a place for anchors (&io) that the file reuses
		}
		f := findField(fs, key)
		if f == nil {
			d.unknownKey(k, parent, fs)
			continue
		}
		d.field(f, k, v, s)
	}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func findField(fs []*field, key string) *field {
	for _, f := range fs {
		if f.key == key {
			return f
		}
	}
	return nil
}

func (d *decoder) unknownKey(k *yaml.Node, parent string, fs []*field) {
	keys := keysOf(fs)
	where := "here"
	if parent != "" {
		where = "in " + parent
	}
	if sug := suggest.Closest(k.Value, keys); sug != "" {
		d.add(k, join(parent, k.Value), "unknown key: did you mean %s?", sug)
		return
	}
	// A known key in the wrong section: "workers" at the top level.
	var elsewhere []string
	for path, f := range fieldsByPath {
		if f.key == k.Value {
			elsewhere = append(elsewhere, path)
		}
	}
	if len(elsewhere) > 0 {
		sort.Strings(elsewhere)
		d.add(k, join(parent, k.Value), "unknown key %s: did you mean %s?", where, strings.Join(elsewhere, " or "))
		return
	}
	d.add(k, join(parent, k.Value), "unknown key; allowed %s: %s", where, strings.Join(keys, ", "))
}

// field decodes the value v of key k. Problems with a single value are
// reported at the key, where an editor's cursor lands on the line.
func (d *decoder) field(f *field, k, v *yaml.Node, s *Scenario) {
	v = resolve(v)
	switch f.kind {
	case kObject:
		d.object(v, f.children, f.path, s)
		return
	case kThresholds:
		d.thresholds(f, v, s)
		return
	case kMatrix:
		d.matrix(f, v, s)
		return
	case kMetricList:
		d.metricList(f, v, s)
		return
	case kRatioMap:
		d.ratioMap(f, v, s)
		return
	case kStringList, kStringMap:
		d.commandValue(f, k, v, s)
		return
	}
	if err := decodeLeaf(f, v, s); err != nil {
		d.add(k, f.path, "%s", err.Error())
		return
	}
	s.positions[f.path] = position{k.Line, k.Column}
}

// decodeLeaf sets the value f points to in s from n. It checks the type
// and unit; ranges, enums and patterns are Validate's.
func decodeLeaf(f *field, n *yaml.Node, s *Scenario) error {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		if f.kind == kDist && n.Kind == yaml.MappingNode {
			return decodeDist(n, f.ref(s).(*Dist))
		}
		return fmt.Errorf("must be %s; found %s", allowedText(f), describe(n))
	}
	if isNull(n) {
		def := ""
		if f.def != "" {
			def = " (" + f.def + ")"
		}
		return fmt.Errorf("has no value: write %s, or remove the key to use the default%s", allowedText(f), def)
	}
	tag := n.ShortTag()
	text := strings.TrimSpace(n.Value)
	switch f.kind {
	case kString:
		if tag != "!!str" {
			return fmt.Errorf("must be %s; found %s (quote it if it is meant as text)", allowedText(f), describe(n))
		}
		*f.ref(s).(*string) = n.Value
	case kInt:
		if tag != "!!int" {
			return fmt.Errorf("must be a whole number; found %s", describe(n))
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 0, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number; %s is out of range", text)
		}
		switch p := f.ref(s).(type) {
		case *int:
			if int64(int(v)) != v {
				return fmt.Errorf("%s is out of range", text)
			}
			*p = int(v)
		case *int64:
			*p = v
		}
	case kBool:
		if tag != "!!bool" {
			return fmt.Errorf("must be true or false; found %s", describe(n))
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("must be true or false; found %s", describe(n))
		}
		*f.ref(s).(*bool) = b
	case kDuration:
		v, err := units.ParseDuration(text)
		if err != nil {
			return err
		}
		*f.ref(s).(*time.Duration) = v
	case kDist:
		v, err := units.ParseDuration(text)
		if err != nil {
			return err
		}
		*f.ref(s).(*Dist) = Dist{Kind: DistConstant, Value: v}
	case kSize:
		v, err := units.ParseSize(text)
		if err != nil {
			return err
		}
		*f.ref(s).(*int64) = v
	case kRate:
		v, err := units.ParseRate(text)
		if err != nil {
			return err
		}
		*f.ref(s).(*float64) = v
	case kRatio:
		v, err := units.ParseRatio(text)
		if err != nil {
			return err
		}
		if v > 1 && !strings.HasSuffix(text, "%") {
			return fmt.Errorf("%s is more than 1 (100%%): write %s%% for a percentage, or a fraction such as 0.2", text, text)
		}
		*f.ref(s).(*float64) = v
	default:
		return fmt.Errorf("cannot be set here")
	}
	return nil
}

var distKeys = []string{DistConstant, DistUniform, DistLognormal}

// decodeDist decodes {constant: D}, {uniform: {min, max}} or
// {lognormal: {median, p99}}.
func decodeDist(n *yaml.Node, out *Dist) error {
	if len(n.Content) != 2 {
		return fmt.Errorf("a distribution is one of %s, written as {uniform: {min: 5ms, max: 15ms}}; found %d keys", strings.Join(distKeys, ", "), len(n.Content)/2)
	}
	k, v := resolve(n.Content[0]), resolve(n.Content[1])
	params := map[string][]string{DistConstant: nil, DistUniform: {"min", "max"}, DistLognormal: {"median", "p99"}}
	want, ok := params[k.Value]
	if !ok || k.Kind != yaml.ScalarNode {
		if sug := suggest.Closest(k.Value, distKeys); sug != "" {
			return fmt.Errorf("unknown distribution %s: did you mean %s?", k.Value, sug)
		}
		return fmt.Errorf("unknown distribution %s: use one of %s", describe(k), strings.Join(distKeys, ", "))
	}
	if k.Value == DistConstant {
		if v.Kind != yaml.ScalarNode || isNull(v) {
			return fmt.Errorf("constant takes a duration such as 10ms")
		}
		d, err := units.ParseDuration(v.Value)
		if err != nil {
			return fmt.Errorf("constant: %v", err)
		}
		*out = Dist{Kind: DistConstant, Value: d}
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("%s takes {%s: ..., %s: ...}", k.Value, want[0], want[1])
	}
	got := map[string]time.Duration{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		pk, pv := resolve(v.Content[i]), resolve(v.Content[i+1])
		if pk.Value != want[0] && pk.Value != want[1] {
			hint := ""
			if sug := suggest.Closest(pk.Value, want); sug != "" {
				hint = ": did you mean " + sug + "?"
			}
			return fmt.Errorf("%s takes %s and %s, not %s%s", k.Value, want[0], want[1], describe(pk), hint)
		}
		if pv.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s.%s must be a duration such as 10ms", k.Value, pk.Value)
		}
		d, err := units.ParseDuration(pv.Value)
		if err != nil {
			return fmt.Errorf("%s.%s: %v", k.Value, pk.Value, err)
		}
		got[pk.Value] = d
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			return fmt.Errorf("%s needs both %s and %s", k.Value, want[0], want[1])
		}
	}
	if k.Value == DistUniform {
		*out = Dist{Kind: DistUniform, Min: got["min"], Max: got["max"]}
	} else {
		*out = Dist{Kind: DistLognormal, Median: got["median"], P99: got["p99"]}
	}
	return nil
}

func (d *decoder) thresholds(f *field, n *yaml.Node, s *Scenario) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, f.path, "must be a list with one expression per item, such as:\n  thresholds:\n    - lost == 0\n    - p99(stage.process) < 50ms")
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		name := fmt.Sprintf("thresholds[%d]", i)
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			hint := ""
			if item.Kind == yaml.MappingNode {
				hint = " (a ':' makes YAML read a mapping; write `- lost == 0`, not `- lost: 0`)"
			}
			d.add(item, name, "must be an expression such as `lost == 0`; found %s%s", describe(item), hint)
			continue
		}
		e, err := threshold.Parse(item.Value)
		if err != nil {
			col := item.Column
			var te *threshold.Error
			if errors.As(err, &te) {
				if te.Column > 0 && item.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
					col += te.Column - 1
					if item.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
						col++
					}
				}
				d.errs = append(d.errs, &Error{File: d.file, Line: item.Line, Column: col, Field: name,
					Msg: fmt.Sprintf("%s: %s", threshold.Excerpt(item.Value), te.Msg)})
				continue
			}
			d.add(item, name, "%s: %v", threshold.Excerpt(item.Value), err)
			continue
		}
		s.Thresholds = append(s.Thresholds, Threshold{Expr: item.Value, Line: item.Line, Column: item.Column, Parsed: e})
		s.positions[fmt.Sprintf("thresholds[%d]", len(s.Thresholds)-1)] = position{item.Line, item.Column}
	}
}

func (d *decoder) matrix(f *field, n *yaml.Node, s *Scenario) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, f.path, "must map field paths to lists of values, such as:\n  matrix:\n    service.workers: [2, 4, 8]")
		return
	}
	seen := map[string]bool{}
	cases := 1
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		path := k.Value
		name := "matrix." + path
		af := fieldsByPath[path]
		if k.Kind != yaml.ScalarNode || af == nil || !af.axis {
			msg := "is not a field the matrix can sweep"
			if sug := suggest.Closest(path, axisPaths); sug != "" {
				msg += ": did you mean " + sug + "?"
			} else if af != nil {
				msg += " (only service, sqs, load, faults and profile settings can be swept)"
			} else {
				msg += "; write a field path such as service.workers or load.jobs"
			}
			d.add(k, name, "%s", msg)
			continue
		}
		if seen[path] {
			d.add(k, name, "set twice: keep one list of values per field")
			continue
		}
		seen[path] = true
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			d.add(v, name, "must be a non-empty list of values, such as [2, 4, 8]")
			continue
		}
		ax := MatrixAxis{Path: path, Line: k.Line, Column: k.Column}
		values := map[string]int{}
		ok := true
		for j, item := range v.Content {
			item = resolve(item)
			itemName := fmt.Sprintf("%s[%d]", name, j)
			if item.Kind != yaml.ScalarNode {
				d.add(item, itemName, "matrix values must be single values such as 4 or 10ms; found %s", describe(item))
				ok = false
				continue
			}
			if err := decodeLeaf(af, item, s.Clone()); err != nil {
				d.add(item, itemName, "%s", err.Error())
				ok = false
				continue
			}
			if prev, dup := values[item.Value]; dup {
				d.add(item, itemName, "%s is listed twice (also item %d)", item.Value, prev)
				ok = false
				continue
			}
			values[item.Value] = j
			ax.Values = append(ax.Values, item.Value)
			ax.valuePos = append(ax.valuePos, position{item.Line, item.Column})
			ax.tags = append(ax.tags, item.Tag)
		}
		if !ok {
			continue
		}
		cases *= len(ax.Values)
		if cases > maxCases {
			d.add(k, name, "the matrix would expand to more than %d cases: sweep fewer values", maxCases)
			return
		}
		s.Matrix = append(s.Matrix, ax)
	}
}

func (d *decoder) metricList(f *field, n *yaml.Node, s *Scenario) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, f.path, "must be a list of metric keys, such as [cpu.per_message, alloc.per_message]")
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			d.add(item, fmt.Sprintf("%s[%d]", f.path, i), "must be a metric key such as cpu.per_message; found %s", describe(item))
			continue
		}
		s.Baseline.Metrics = append(s.Baseline.Metrics, item.Value)
		s.positions[fmt.Sprintf("%s[%d]", f.path, len(s.Baseline.Metrics)-1)] = position{item.Line, item.Column}
	}
}

func (d *decoder) ratioMap(f *field, n *yaml.Node, s *Scenario) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.add(n, f.path, "must map metric keys to shares, such as {throughput: 25%%}")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		name := f.path + "." + k.Value
		if k.Kind != yaml.ScalarNode {
			d.add(k, f.path, "keys must be metric keys, found %s", describe(k))
			continue
		}
		if s.Baseline.Tolerance == nil {
			s.Baseline.Tolerance = map[string]float64{}
		}
		if _, dup := s.Baseline.Tolerance[k.Value]; dup {
			d.add(k, name, "set twice: keep one")
			continue
		}
		if v.Kind != yaml.ScalarNode || isNull(v) {
			d.add(v, name, "must be a percentage such as 25%%; found %s", describe(v))
			continue
		}
		r, err := units.ParseRatio(v.Value)
		if err != nil {
			d.add(v, name, "%v", err)
			continue
		}
		s.Baseline.Tolerance[k.Value] = r
		s.positions[name] = position{k.Line, k.Column}
	}
}

// applyDefaults sets every field with a default by decoding the default's
// text, so the default documented in the table is exactly what is applied.
func applyDefaults(s *Scenario) {
	var walk func(fs []*field)
	walk = func(fs []*field) {
		for _, f := range fs {
			if f.kind == kObject {
				walk(f.children)
				continue
			}
			if f.def == "" || f.ref == nil {
				continue
			}
			if err := decodeLeaf(f, defaultNode(f), s); err != nil {
				panic(fmt.Sprintf("scenario: default %q of %s does not decode: %v", f.def, f.path, err))
			}
		}
	}
	walk(rootFields)
}

func defaultNode(f *field) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(f.def), &doc); err != nil || len(doc.Content) == 0 {
		panic(fmt.Sprintf("scenario: default %q of %s is not YAML", f.def, f.path))
	}
	return doc.Content[0]
}

// isMetricKey reports whether key names a scalar metric or a statistic of
// a distribution.
func isMetricKey(key string) bool {
	_, _, ok := metric.Resolve(key)
	return ok
}
