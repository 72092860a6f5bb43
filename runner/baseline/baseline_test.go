package baseline

import (
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var testFP = fingerprint.Fingerprint{CPUModel: "Test CPU", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", Backend: "embedded"}

func nan() float64 { return math.NaN() }

func TestPath(t *testing.T) {
	dir := "baselines"
	cases := []struct{ scenario, caseName, want string }{
		{"stress", "stress", "baselines/stress.json"},
		{"stress", "", "baselines/stress.json"},
		{"scalability", "scalability/workers=4", "baselines/scalability__workers=4.json"},
		{"scalability", "scalability/workers=4,queue=8", "baselines/scalability__workers=4,queue=8.json"},
	}
	for _, c := range cases {
		assert.Equal(t, filepath.FromSlash(c.want), Path(dir, c.scenario, c.caseName))
	}
}

func TestPathStaysInsideDir(t *testing.T) {
	dir := t.TempDir()
	hostile := [][2]string{
		{"../../etc/passwd", ""}, {"..", ""}, {".", ""}, {"", ""}, {"a/b", "a/b/../../x"},
		{"/abs", "/abs"}, {"x", "x/../../../y"}, {"name with spaces", ""}, {`back\slash`, ""},
		{strings.Repeat("long", 100), ""}, {".hidden", ""}, {"nul\x00byte", ""},
	}
	seen := map[string]string{}
	for _, h := range hostile {
		p := Path(dir, h[0], h[1])
		assert.Equal(t, dir, filepath.Dir(p), "%q/%q escaped to %s", h[0], h[1], p)
		base := filepath.Base(p)
		assert.False(t, strings.HasPrefix(base, "."), "hidden or relative file name %q", base)
		assert.LessOrEqual(t, len(base), 140)
		key := h[0] + "\x00" + h[1]
		if prev, dup := seen[p]; dup {
			t.Errorf("%q and %q share %s", prev, key, p)
		}
		seen[p] = key
	}
	// Sanitised names stay distinct.
	assert.NotEqual(t, Path(dir, "a/b", ""), Path(dir, "a_b", ""))
}

func sampleBaseline() *Baseline {
	return &Baseline{
		Version:      Version,
		Scenario:     "stress",
		Case:         "stress",
		Size:         1,
		ScenarioHash: "sha256:0123abcd",
		Fingerprint:  testFP,
		Created:      time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC),
		Samples: map[string][]float64{
			"throughput":      {1512.5, 1498, 1530.25},
			"cpu.per_message": {0.000123, 0.0001251, 0.00012},
			"lost":            {0, 0, 0},
		},
	}
}

func TestSaveIsStableAndDiffable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "stress.json")
	require.NoError(t, Save(path, sampleBaseline()))
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	golden := filepath.Join("testdata", "stress.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if !assert.Equal(t, string(want), string(got)) {
		_ = os.WriteFile(golden+".got", got, 0o644)
	}

	// Saving again gives the same bytes, and leaves no temporary file behind.
	require.NoError(t, Save(path, sampleBaseline()))
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stress.json")
	b := sampleBaseline()
	require.NoError(t, Save(path, b))
	got, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, path, got.File())
	got.path = ""
	assert.Equal(t, b, got)
}

func TestSaveRejectsWhatJSONCannotHold(t *testing.T) {
	b := sampleBaseline()
	b.Samples["throughput"][1] = nan()
	err := Save(filepath.Join(t.TempDir(), "x.json"), b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `metric "throughput" repeat 2 is NaN`)
	assert.Error(t, Save(filepath.Join(t.TempDir(), "x.json"), nil))
}

func TestLoadMissingWrapsNotExist(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.json"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))
	msg := MissingWarning("baselines/stress.json", "scenarios/stress.yaml")
	assert.Contains(t, msg, "baselines/stress.json")
	assert.Contains(t, msg, "runner baseline update -scenario scenarios/stress.yaml")
}

func TestLoadBadFiles(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"empty":         {"", "the file is empty"},
		"syntax":        {"{\n  \"version\": 1,\n  \"samples\": {\n    \"x\": [1, 2,]\n  }\n}\n", "line 4: malformed JSON"},
		"wrong type":    {"{\n  \"version\": \"one\"\n}", `line 2: field "version": expected int, found a JSON string`},
		"other version": {`{"version": 2, "samples": {}}`, "version 2 is not supported (this runner reads version 1)"},
		"unknown field": {`{"version": 1, "samples": {}, "extra": 1}`, `unknown field "extra"`},
		"no samples":    {`{"version": 1}`, `field "samples" is missing`},
		"empty list":    {`{"version": 1, "samples": {"x": []}}`, `samples of "x" are empty`},
		"trailing":      {`{"version": 1, "samples": {}} {}`, "unexpected data after the baseline object"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "b.json")
			require.NoError(t, os.WriteFile(path, []byte(c.body), 0o644))
			_, err := Load(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "runner baseline update")
			assert.False(t, errors.Is(err, os.ErrNotExist))
		})
	}
}

func TestFromCase(t *testing.T) {
	c := result.Case{Name: "scalability/workers=4", Runs: []result.Run{
		{Metrics: map[string]float64{"throughput": 10, "cpu.per_message": 1e-4}},
		{Metrics: map[string]float64{"throughput": 12, "heap.live.slope": nan()}},
		{Metrics: map[string]float64{"throughput": 11, "cpu.per_message": 2e-4}},
	}}
	b := FromCase("scalability", "h", testFP, c)
	assert.Equal(t, Version, b.Version)
	assert.Equal(t, "scalability/workers=4", b.Case)
	assert.Equal(t, []float64{10, 12, 11}, b.Samples["throughput"], "repeat order is kept")
	assert.Equal(t, []float64{1e-4, 2e-4}, b.Samples["cpu.per_message"])
	assert.NotContains(t, b.Samples, "heap.live.slope")
	assert.False(t, b.Created.IsZero())
}

func FuzzParse(f *testing.F) {
	data, err := encode(sampleBaseline())
	require.NoError(f, err)
	f.Add(data)
	f.Add([]byte(`{"version": 1, "samples": {}}`))
	f.Add([]byte(`{"version": 1, "samples": {"x": [1e308, -0, 5]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parse(data)
		if err != nil {
			return
		}
		// Anything accepted must save and load back unchanged.
		out, err := encode(b)
		require.NoError(t, err)
		again, err := parse(out)
		require.NoError(t, err)
		assert.Equal(t, b.Samples, again.Samples)
		assert.Equal(t, b.Fingerprint, again.Fingerprint)
		assert.Equal(t, b.Size, again.Size)
	})
}
