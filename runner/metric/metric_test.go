package metric_test

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"testing"

	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/runner/metric"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLookup(t *testing.T) {
	d, ok := metric.Lookup("throughput")
	if !ok || d.Name != "throughput" || d.Unit != metric.Rate || d.Better != metric.HigherIsBetter || !d.MachineDependent {
		t.Errorf("Lookup(throughput) = %+v, %v", d, ok)
	}
	d, ok = metric.Lookup("stage.process")
	if !ok || d.Kind != metric.Distribution || d.Unit != metric.Duration {
		t.Errorf("Lookup(stage.process) = %+v, %v", d, ok)
	}
	d, ok = metric.Lookup("lost")
	if !ok || d.MachineDependent || !d.Gate {
		t.Errorf("Lookup(lost) = %+v, %v: a lost message is lost on any machine, and gates", d, ok)
	}
	for _, name := range []string{"", "througput", "stage.process.p99", "Throughput"} {
		if d, ok := metric.Lookup(name); ok {
			t.Errorf("Lookup(%q) = %+v, want not found (Lookup takes base names only)", name, d)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		key, name, stat string
		ok              bool
	}{
		{"throughput", "throughput", "", true},
		{"stage.process.p99", "stage.process", "p99", true},
		{"latency.job.p50", "latency.job", "p50", true},
		{"tick.lag.max", "tick.lag", "max", true},
		{"gc.pause.mean", "gc.pause", "mean", true},
		// A scalar whose name looks like a statistic of another is itself.
		{"heap.live.max", "heap.live.max", "", true},
		{"tick.lag.over_10ms", "tick.lag.over_10ms", "", true},
		// A distribution needs a statistic; a scalar takes none.
		{"stage.process", "", "", false},
		{"throughput.p99", "", "", false},
		{"stage.process.p42", "", "", false},
		{"stage.process.", "", "", false},
		{".p99", "", "", false},
		{"", "", "", false},
		{"nope.p99", "", "", false},
	} {
		d, stat, ok := metric.Resolve(tc.key)
		if ok != tc.ok || d.Name != tc.name || stat != tc.stat {
			t.Errorf("Resolve(%q) = (%q, %q, %v), want (%q, %q, %v)", tc.key, d.Name, stat, ok, tc.name, tc.stat, tc.ok)
		}
	}
}

// Every flat key the registry can produce resolves back to its own
// definition and statistic, and no two definitions produce the same key:
// otherwise a stored value would be judged under the wrong metric.
func TestEveryKeyResolvesToItsDef(t *testing.T) {
	owner := map[string]string{}
	for _, d := range metric.All() {
		stats := []string{""}
		if d.Kind == metric.Distribution {
			stats = metric.Stats
		}
		for _, stat := range stats {
			key := metric.Key(d.Name, stat)
			if other, dup := owner[key]; dup {
				t.Errorf("key %q is produced by both %s and %s", key, other, d.Name)
			}
			owner[key] = d.Name
			got, gotStat, ok := metric.Resolve(key)
			if !ok || got.Name != d.Name || gotStat != stat {
				t.Errorf("Resolve(%q) = (%q, %q, %v), want (%q, %q, true)", key, got.Name, gotStat, ok, d.Name, stat)
			}
		}
	}
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

func TestEveryDefIsValid(t *testing.T) {
	all := metric.All()
	if len(all) < 40 {
		t.Fatalf("All() returned %d definitions; the registry holds over 40", len(all))
	}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }) {
		t.Error("All() is not sorted by name")
	}
	for _, d := range all {
		if !namePattern.MatchString(d.Name) {
			t.Errorf("%q: names are lowercase and dot-separated", d.Name)
		}
		if d.Help == "" {
			t.Errorf("%s: no Help (reports and the JSON Schema show it)", d.Name)
		}
		if d.Kind != metric.Scalar && d.Kind != metric.Distribution {
			t.Errorf("%s: unknown Kind %d", d.Name, d.Kind)
		}
		if d.Unit < metric.Count || d.Unit > metric.Number {
			t.Errorf("%s: unknown Unit %v", d.Name, d.Unit)
		}
		if d.Better != metric.LowerIsBetter && d.Better != metric.HigherIsBetter && d.Better != metric.NoDirection {
			t.Errorf("%s: unknown Better %d", d.Name, d.Better)
		}
		if math.IsNaN(d.Tolerance) || d.Tolerance < 0 || d.Tolerance > 1 {
			t.Errorf("%s: Tolerance %v is not a fraction in [0, 1]", d.Name, d.Tolerance)
		}
		if d.Gate && d.Better == metric.NoDirection {
			t.Errorf("%s gates against the baseline but has no better direction, so it can never regress", d.Name)
		}
		if d.Kind == metric.Distribution && d.Unit != metric.Duration {
			t.Errorf("%s: distributions are latencies; %v has no statistic formatting", d.Name, d.Unit)
		}
		if d.Exact && (d.Unit != metric.Count || d.MachineDependent || (d.Better != metric.NoDirection && d.Tolerance != 0)) {
			t.Errorf("%s is Exact, but an exact tally is a Count, not machine dependent, and tolerates no change", d.Name)
		}
		if d.Bound && (d.Better == metric.NoDirection || d.MachineDependent || d.Exact) {
			t.Errorf("%s is a Bound: a property of the code with a direction, not machine dependent and not a tally", d.Name)
		}
		if got, ok := metric.Lookup(d.Name); !ok || got != d {
			t.Errorf("Lookup(%q) = %+v, %v; All() gave %+v", d.Name, got, ok, d)
		}
	}
}

func TestKey(t *testing.T) {
	if got := metric.Key("stage.process", "p99"); got != "stage.process.p99" {
		t.Errorf("Key(stage.process, p99) = %q", got)
	}
	if got := metric.Key("throughput", ""); got != "throughput" {
		t.Errorf("Key(throughput, \"\") = %q", got)
	}
}

func TestIsStat(t *testing.T) {
	for _, s := range metric.Stats {
		if !metric.IsStat(s) {
			t.Errorf("IsStat(%q) = false", s)
		}
	}
	for _, s := range []string{"", "p42", "P99", "median"} {
		if metric.IsStat(s) {
			t.Errorf("IsStat(%q) = true", s)
		}
	}
}

func TestSuggest(t *testing.T) {
	for typo, want := range map[string]string{"througput": "throughput", "stage.proces": "stage.process", "dupliates": "duplicates"} {
		if got := metric.Suggest(typo); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", typo, got, want)
		}
	}
}

func TestStringsAreKnown(t *testing.T) {
	for u := metric.Count; u <= metric.Number; u++ {
		if s := u.String(); s == "" || regexp.MustCompile(`^unit\(`).MatchString(s) {
			t.Errorf("Unit %d has no name", int(u))
		}
		if u.Example() == "" {
			t.Errorf("Unit %v has no example", u)
		}
	}
	if got := metric.Unit(99).String(); got != "unit(99)" {
		t.Errorf("Unit(99).String() = %q", got)
	}
	for b, want := range map[metric.Better]string{metric.LowerIsBetter: "lower", metric.HigherIsBetter: "higher", metric.NoDirection: "none"} {
		if b.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(b), b.String(), want)
		}
	}
}

// The exact tallies are what the threshold judge and the verdict took for
// exact before Def.Exact made it explicit: changing the list changes how
// thresholds and baselines judge these metrics.
func TestExactTallies(t *testing.T) {
	var got []string
	for _, d := range metric.All() {
		if d.Exact {
			got = append(got, d.Name)
		}
	}
	want := []string{"crashes", "dead_lettered", "dead_lettered.queue", "duplicates", "failures", "faults.calls", "faults.injected",
		"harness.sqs.alloc_per_message", "invalid", "jobs.sent", "lost", "overflowed", "processed", "retried", "sent"}
	if !slices.Equal(got, want) {
		t.Errorf("exact metrics = %v, want %v", got, want)
	}
}
