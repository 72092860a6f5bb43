package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each of these once loaded as "no baseline" or as a usable one; every one
// must be an error naming the file, what is wrong and what to do.
func TestLoadCorruptBaselines(t *testing.T) {
	many := "[" + strings.Repeat("0, ", MaxSamples) + "0]"
	cases := map[string]struct{ body, want string }{
		"empty":              {"", "the file is empty"},
		"blank":              {" \n\t\n", "the file is empty"},
		"null":               {"null", "must hold one JSON object"},
		"array":              {"[]", "found an array"},
		"string":             {`"baseline"`, "found a string"},
		"not json":           {"\xef\xbb\xbf{}", "which is not JSON"},
		"truncated":          {"{\n  \"version\": 1,\n  \"samples\": {\"x\": [1, 2", "line 3: the file ends in the middle"},
		"version 99":         {`{"version": 99, "samples": {}}`, "version 99 is not supported"},
		"no version":         {`{"samples": {}}`, "version 0 is not supported"},
		"NaN":                {`{"version": 1, "samples": {"throughput": [NaN]}}`, "malformed JSON"},
		"Infinity":           {`{"version": 1, "samples": {"throughput": [Infinity]}}`, "malformed JSON"},
		"out of range":       {`{"version": 1, "samples": {"throughput": [1e999]}}`, "found a JSON number 1e999"},
		"samples wrong type": {`{"version": 1, "samples": "lots"}`, `field "samples": expected map[string][]float64, found a JSON string`},
		"value wrong type":   {`{"version": 1, "samples": {"lost": ["0"]}}`, "found a JSON string"},
		"samples null":       {`{"version": 1, "samples": null}`, `field "samples" is missing`},
		"negative duration":  {`{"version": 1, "samples": {"cpu.per_message": [1e-4, -2e-4]}}`, `samples of "cpu.per_message": repeat 2 is -0.0002, but a duration cannot be negative`},
		"negative count":     {`{"version": 1, "samples": {"lost": [-1]}}`, "a count cannot be negative"},
		"negative rate":      {`{"version": 1, "samples": {"throughput": [-5]}}`, "a rate cannot be negative"},
		"negative p99":       {`{"version": 1, "samples": {"stage.process.p99": [-0.5]}}`, "a duration cannot be negative"},
		"negative bytes":     {`{"version": 1, "samples": {"alloc.bytes_per_message": [-1]}}`, "a bytes cannot be negative"},
		"too many samples":   {`{"version": 1, "samples": {"lost": ` + many + `}}`, `samples of "lost" hold 10001 values`},
		"size zero":          {`{"version": 1, "size": 0, "samples": {}}`, `field "size" is 0`},
		"size negative":      {`{"version": 1, "size": -0.5, "samples": {}}`, `field "size" is -0.5`},
		"size wrong type":    {`{"version": 1, "size": "full", "samples": {}}`, `field "size": expected float64, found a JSON string`},
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
			assert.False(t, errors.Is(err, os.ErrNotExist), "only a missing file may read as 'no baseline'")
		})
	}
}

// Metrics that measure a change are signed whatever their unit, and an
// unknown key (a metric registered by another build) is not judged here.
func TestLoadAcceptsSignedChangesAndUnknownMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	body := `{"version": 1, "samples": {"heap.live.slope": [-4096, 128], "heap.live.growth": [-0.1], "goroutines.slope": [-0.5], "custom.thing": [-1]}}`
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	b, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, 1.0, b.Size, "a file without a size was taken at full size")
}

// An 84 MB baseline once took 775 MB of memory to be refused; the size is
// now checked before anything is read.
func TestLoadRefusesAHugeFileWithoutReadingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileBytes+1)) // sparse: no disk used
	require.NoError(t, f.Close())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Load(path)
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "more than the 16 MiB a baseline may hold")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "the file must not be read to be refused")

	// At the cap exactly, it is read (and then refused as JSON).
	require.NoError(t, os.Truncate(path, 10))
	_, err = Load(path)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "MiB")
}

func TestLoadForRefusesAnotherScenariosBaseline(t *testing.T) {
	dir := t.TempDir()
	path := Path(dir, "stress", "stress")
	other := sampleBaseline()
	other.Scenario, other.Case = "memory", "memory"
	require.NoError(t, Save(path, other))

	_, err := LoadFor(path, "stress", "stress")
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `the file is the baseline of scenario "memory" case "memory", not of scenario "stress" case "stress"`)
	assert.Contains(t, err.Error(), "runner baseline update")

	// The right scenario but another matrix case is refused too.
	mc := sampleBaseline()
	mc.Scenario, mc.Case = "scalability", "scalability/workers=2"
	path = Path(dir, "scalability", "scalability/workers=4")
	require.NoError(t, Save(path, mc))
	_, err = LoadFor(path, "scalability", "scalability/workers=4")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `case "scalability/workers=2"`)

	// Its own case loads, and an empty case name is the scenario's.
	require.NoError(t, Save(path, sampleBaseline()))
	_, err = LoadFor(path, "stress", "")
	require.NoError(t, err)
}

// Save syncs the new file before the rename and the directory after it:
// otherwise a crash can leave the baseline's name on an empty file.
func TestSaveSyncsBeforeAndAfterTheRename(t *testing.T) {
	orig := fileOps
	t.Cleanup(func() { fileOps = orig })
	var steps []string
	fileOps.sync = func(f *os.File) error {
		st, err := f.Stat()
		require.NoError(t, err)
		if st.IsDir() {
			steps = append(steps, "sync dir")
		} else {
			steps = append(steps, "sync file")
		}
		return orig.sync(f)
	}
	fileOps.rename = func(from, to string) error {
		steps = append(steps, "rename")
		return orig.rename(from, to)
	}
	path := filepath.Join(t.TempDir(), "stress.json")
	require.NoError(t, Save(path, sampleBaseline()))
	assert.Equal(t, []string{"sync file", "rename", "sync dir"}, steps)

	// A failed sync leaves the old file in place and no temporary file.
	fileOps.sync = func(*os.File) error { return errors.New("disk on fire") }
	b := sampleBaseline()
	b.Samples["lost"] = []float64{7}
	err := Save(path, b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk on fire")
	got, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 0}, got.Samples["lost"])
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestSizeIsStoredAndOldFilesAreFullSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	b := sampleBaseline()
	b.Size = 0.2
	require.NoError(t, Save(path, b))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"size": 0.2,`)
	got, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, 0.2, got.Size)

	b.Size = 0 // built in memory without a size: full size
	require.NoError(t, Save(path, b))
	got, err = Load(path)
	require.NoError(t, err)
	assert.Equal(t, 1.0, got.Size)
}

// The baselines in the repository must stay loadable: a validation rule
// that refused a real measurement would fail every CI run.
func TestCommittedBaselinesLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "baselines", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := Load(f)
		if !assert.NoError(t, err) {
			continue
		}
		assert.Equal(t, f, Path(filepath.Dir(f), b.Scenario, b.Case), "a file's scenario and case name it")
		_, err = LoadFor(f, b.Scenario, b.Case)
		assert.NoError(t, err)
	}
}
