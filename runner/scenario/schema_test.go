package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite scenarios/scenario.schema.json from the field table")

var schemaFile = filepath.Join(suiteDir, "scenario.schema.json")

// TestSchemaFileUpToDate keeps the committed schema equal to the one the
// decoder's field table generates. After changing fields.go run
//
//	go test ./runner/scenario -run SchemaFile -update
func TestSchemaFileUpToDate(t *testing.T) {
	want := JSONSchema()
	if *update {
		require.NoError(t, os.WriteFile(schemaFile, want, 0o644))
	}
	got, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "scenarios/scenario.schema.json is stale: run go test ./runner/scenario -run SchemaFile -update")
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("scenario.schema.json", doc))
	sch, err := c.Compile("scenario.schema.json")
	require.NoError(t, err)
	return sch
}

// yamlToInstance converts YAML to the JSON value a YAML-aware editor
// validates against the schema.
func yamlToInstance(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst
}

func TestSchemaAcceptsEveryValidFile(t *testing.T) {
	sch := compileSchema(t)
	files := append(suiteFiles(t), "testdata/impossible.yaml", "testdata/kitchen-sink.yaml", "testdata/kitchen-sink-command.yaml")
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		_, derr := Parse(f, src)
		require.NoError(t, derr, "decoder rejects %s", f)
		assert.NoError(t, sch.Validate(yamlToInstance(t, src)), "schema rejects %s", f)
	}
}

// keyPaths lists the paths of every mapping key in a YAML value.
func keyPaths(v any, prefix string, out map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, child := range m {
		p := prefix + k
		out[p] = true
		switch p {
		case "matrix", "baseline.tolerance", "service.task.io_wait", "service.command.env":
			// Their keys are field paths, metric keys and distribution
			// forms, not fields; other tests cover them.
			continue
		}
		keyPaths(child, p+".", out)
	}
}

// schemaPaths lists the property paths of the schema's objects.
func schemaPaths(s map[string]any, prefix string, out map[string]bool) {
	props, _ := s["properties"].(map[string]any)
	for k, child := range props {
		p := prefix + k
		out[p] = true
		if p == "matrix" || strings.HasPrefix(p, "service.task.io_wait") {
			continue
		}
		if cm, ok := child.(map[string]any); ok && cm["type"] == "object" {
			schemaPaths(cm, p+".", out)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSchemaKeysEqualDecoderKeys checks, independently of the table both
// are built from, that the schema's properties at every level are exactly
// the keys the decoder accepts: the kitchen-sink file sets every key, the
// decoder accepts it, and its key paths equal the schema's; an unknown
// key at any level is rejected by both.
func TestSchemaKeysEqualDecoderKeys(t *testing.T) {
	src, err := os.ReadFile("testdata/kitchen-sink.yaml")
	require.NoError(t, err)
	_, err = Parse("kitchen-sink.yaml", src)
	require.NoError(t, err)

	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(src, &doc))
	delete(doc, "x-io")
	fileKeys := map[string]bool{}
	keyPaths(doc, "", fileKeys)
	// The command's keys come from a file of their own: a command excludes
	// some of the kitchen sink's settings.
	cmdSrc, err := os.ReadFile("testdata/kitchen-sink-command.yaml")
	require.NoError(t, err)
	_, err = Parse("kitchen-sink-command.yaml", cmdSrc)
	require.NoError(t, err)
	var cmdDoc map[string]any
	require.NoError(t, yaml.Unmarshal(cmdSrc, &cmdDoc))
	keyPaths(cmdDoc, "", fileKeys)

	var sch map[string]any
	require.NoError(t, json.Unmarshal(JSONSchema(), &sch))
	schemaKeys := map[string]bool{}
	schemaPaths(sch, "", schemaKeys)
	assert.Equal(t, sortedKeys(schemaKeys), sortedKeys(fileKeys), "the kitchen sink must set every key of the schema, and nothing else")

	// The matrix's properties are the paths the decoder lets the matrix sweep.
	matrixProps := sch["properties"].(map[string]any)["matrix"].(map[string]any)["properties"].(map[string]any)
	var matrixKeys []string
	for k := range matrixProps {
		matrixKeys = append(matrixKeys, k)
	}
	sort.Strings(matrixKeys)
	var decoderAxes []string
	for _, p := range sortedKeys(fileKeys) {
		if !strings.HasPrefix(p, "service.command") && decoderAcceptsAxis(t, src, p) {
			decoderAxes = append(decoderAxes, p)
		}
	}
	assert.Equal(t, matrixKeys, decoderAxes)

	compiled := compileSchema(t)
	objects := []string{""}
	for _, p := range sortedKeys(schemaKeys) {
		if _, isObj := fieldAt(sch, p)["properties"]; isObj {
			objects = append(objects, p)
		}
	}
	for _, obj := range objects {
		in := src
		if strings.HasPrefix(obj, "service.command") {
			in = cmdSrc
		}
		bad := withKey(t, in, obj, "bogus_key")
		_, derr := Parse("bad.yaml", bad)
		assert.Error(t, derr, "decoder accepts an unknown key in %q", obj)
		assert.Error(t, compiled.Validate(yamlToInstance(t, bad)), "schema accepts an unknown key in %q", obj)
	}
}

func fieldAt(sch map[string]any, path string) map[string]any {
	cur := sch
	for _, k := range strings.Split(path, ".") {
		props, _ := cur["properties"].(map[string]any)
		next, _ := props[k].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		cur = next
	}
	return cur
}

// decoderAcceptsAxis reports whether the decoder accepts path as a
// matrix axis, swept over the value the kitchen sink gives it.
func decoderAcceptsAxis(t *testing.T, src []byte, path string) bool {
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(src, &doc))
	var val any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := val.(map[string]any)
		if !ok {
			return false
		}
		val = m[k]
	}
	if _, isMap := val.(map[string]any); isMap {
		val = "10ms" // a distribution swept over its constant form
	}
	if _, isList := val.([]any); isList {
		return false
	}
	doc["matrix"] = map[string]any{path: []any{val}}
	delete(doc, "thresholds")
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	_, perr := Parse("axis.yaml", out)
	return perr == nil
}

// withKey adds key: 1 inside the mapping at path ("" is the top level).
func withKey(t *testing.T, src []byte, path, key string) []byte {
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(src, &doc))
	cur := doc
	if path != "" {
		for _, k := range strings.Split(path, ".") {
			next, ok := cur[k].(map[string]any)
			require.True(t, ok, "%s is not a mapping in the kitchen sink", path)
			cur = next
		}
	}
	cur[key] = 1
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return out
}

// TestSchemaRejectsWhatTheDecoderRejects covers the checks a schema can
// express: types, units, enums, closed distributions, ranges of numbers.
// (Ranges of durations and rules across fields are the decoder's alone.)
func TestSchemaRejectsWhatTheDecoderRejects(t *testing.T) {
	compiled := compileSchema(t)
	for _, src := range []string{
		"service: {workers: 0}",
		"service: {workers: four}",
		"timeout: 10",
		"timeout: 10 parsecs",
		"load: {payload: 512}",
		"load: {rate: 50}",
		"sqs: {backend: sqs}",
		"service: {failure_rate: 120%x}",
		"service: {failure_rate: 1.2}",
		"service: {task: {io_wait: {normal: {median: 1ms}}}}",
		"service: {task: {io_wait: {uniform: {min: 1ms}}}}",
		"profile: {cpu: yes please}",
		"thresholds: [lost]",
		"matrix: {repeats: [1, 2]}",
		"name: ../etc",
		"baseline: {metrics: [Not A Metric]}",
	} {
		_, derr := Parse("bad.yaml", []byte(src))
		assert.Error(t, derr, "decoder accepts %s", src)
		assert.Error(t, compiled.Validate(yamlToInstance(t, []byte(src))), "schema accepts %s", src)
	}
}

func TestSchemaDescribesDefaults(t *testing.T) {
	var sch map[string]any
	require.NoError(t, json.Unmarshal(JSONSchema(), &sch))
	workers := fieldAt(sch, "service.workers")
	assert.Equal(t, 4.0, workers["default"])
	assert.Contains(t, workers["description"], "Default: 4.")
	io := fieldAt(sch, "service.task.io_wait")
	assert.Equal(t, "10ms", io["default"])
	for _, p := range []string{"sqs.backend", "load.jobs", "repeats", "timeout"} {
		assert.NotEmpty(t, fieldAt(sch, p)["default"], p)
	}
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", sch["$schema"])
}
