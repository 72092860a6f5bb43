package backendkind_test

import (
	"slices"
	"testing"

	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
)

// The sentences below are what users read today (the scenario's field
// documentation, the JSON Schema, Open's error): building them from the
// table must not change a word.
func TestDocAndChoicesKeepTheirWording(t *testing.T) {
	if got, want := backendkind.Doc(), "embedded: the in-process server; localstack: a LocalStack container (needs Docker); endpoint: any SQS endpoint (endpoint, or the AWS SDK's default chain when empty)."; got != want {
		t.Errorf("Doc() = %q, want %q", got, want)
	}
	if got, want := backendkind.Choices(), "embedded (in-process, the default), localstack (needs Docker) or endpoint (a URL or the AWS SDK's default chain)"; got != want {
		t.Errorf("Choices() = %q, want %q", got, want)
	}
	if got, want := backendkind.List(), "embedded, localstack or endpoint"; got != want {
		t.Errorf("List() = %q, want %q", got, want)
	}
}

func TestNamesDefaultFirstAndUnique(t *testing.T) {
	names := backendkind.Names()
	if len(names) == 0 || names[0] != backendkind.Default {
		t.Fatalf("Names() = %v, want the default %q first", names, backendkind.Default)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Errorf("Names() = %v has a duplicate", names)
	}
	for _, n := range names {
		if !backendkind.Known(n) {
			t.Errorf("Known(%q) = false for a listed kind", n)
		}
	}
	if backendkind.Known("Embedded") || backendkind.Known("") {
		t.Error("Known accepts a name that is not listed")
	}
}

func TestAllIsACopy(t *testing.T) {
	a := backendkind.All()
	a[0].Name = "changed"
	if backendkind.All()[0].Name != backendkind.Default {
		t.Error("changing All()'s result changed the table")
	}
}
