package benchout

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"

	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var testFP = fingerprint.Fingerprint{CPUModel: "Test CPU", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", Backend: "embedded"}

func nan() float64 { return math.NaN() }

func benchScenario() *result.Scenario {
	env := testFP.Environment()
	env["Odd Key"] = "with\nnewline"
	return &result.Scenario{
		SchemaVersion: result.SchemaVersion,
		Name:          "scalability",
		Hash:          "sha256:abc",
		Environment:   env,
		Cases: []result.Case{
			{Name: "scalability/workers=2", Runs: []result.Run{
				{Repeat: 1, Metrics: map[string]float64{"cpu.per_message": 0.000123, "alloc.per_message": 85, "alloc.bytes_per_message": 9000, "throughput": 1500, "stage.process.p99": 0.004, "lost": 0, "heap.live.max": 4 << 20}},
				{Repeat: 2, Metrics: map[string]float64{"cpu.per_message": 0.000125, "alloc.per_message": 86, "alloc.bytes_per_message": 9100, "throughput": 1480, "stage.process.p99": 0.005, "lost": 0, "heap.live.max": 5 << 20, "custom.thing": 3, "heap.live.slope": nan()}},
			}},
			{Name: "scalability/workers=4", Runs: []result.Run{
				{Repeat: 1, Metrics: map[string]float64{"cpu.per_message": 0.00013, "throughput": 2900}},
			}},
		},
	}
}

func TestWriteParsesBack(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, benchScenario()))

	golden := filepath.Join("testdata", "scalability.golden.txt")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if !assert.Equal(t, string(want), buf.String()) {
		_ = os.WriteFile(golden+".got", buf.Bytes(), 0o644)
	}

	r := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "scalability.txt")
	var results []*benchfmt.Result
	for r.Scan() {
		switch rec := r.Result(); rec := rec.(type) {
		case *benchfmt.Result:
			results = append(results, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt rejected our output: %v", rec)
		}
	}
	require.NoError(t, r.Err())
	require.Len(t, results, 3, "one line per run")

	first := results[0]
	assert.Equal(t, "Scenario/scalability/workers=2", first.Name.String())
	base, parts := first.Name.Parts()
	assert.Equal(t, "Scenario", string(base))
	assert.Equal(t, []string{"/scalability", "/workers=2"}, []string{string(parts[0]), string(parts[1])})
	assert.Equal(t, 1, first.Iters)
	assert.Equal(t, "linux", first.GetConfig("goos"))
	assert.Equal(t, "Test CPU", first.GetConfig("cpu"))
	assert.Equal(t, "sha256:abc", first.GetConfig("scenario-hash"))
	assert.Equal(t, "with newline", first.GetConfig("odd-key"))

	value := func(res *benchfmt.Result, unit string) float64 {
		t.Helper()
		v, ok := res.Value(unit)
		require.True(t, ok, "unit %s missing in %s", unit, res.Name)
		return v
	}
	assert.InDelta(t, 0.000123, value(first, "sec/op"), 1e-12)
	assert.Equal(t, 85.0, value(first, "allocs/op"))
	assert.Equal(t, 9000.0, value(first, "B/op"))
	assert.Equal(t, 1500.0, value(first, "throughput/s"))
	assert.InDelta(t, 0.004, value(first, "stage.process.p99-sec"), 1e-12)
	assert.Equal(t, float64(4<<20), value(first, "heap.live.max-B"))
	assert.Equal(t, 3.0, value(results[1], "custom.thing"))
	_, hasNaN := results[1].Value("heap.live.slope-B")
	assert.False(t, hasNaN, "values that are not finite are left out")

	units := r.Units()
	assert.Equal(t, 1, units.GetBetter("throughput/s"))
	assert.Equal(t, -1, units.GetBetter("stage.process.p99-sec"))
	assert.Equal(t, -1, units.GetBetter("sec/op"))
	assert.NotNil(t, units.Get("lost", "assume"))
	assert.Equal(t, "exact", units.Get("lost", "assume").Value)
}

func TestWriteEdgeCases(t *testing.T) {
	var buf bytes.Buffer
	assert.Error(t, Write(&buf, nil))
	require.NoError(t, Write(&buf, &result.Scenario{Name: "empty"}))
	assert.Empty(t, strings.TrimSpace(buf.String()))

	buf.Reset()
	require.NoError(t, Write(&buf, &result.Scenario{Name: "odd name", Cases: []result.Case{
		{Name: "", Runs: []result.Run{{Metrics: map[string]float64{"throughput": 1}}}},
	}}))
	assert.Contains(t, buf.String(), "BenchmarkScenario/odd_name 1 1 throughput/s")
}
