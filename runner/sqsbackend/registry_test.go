package sqsbackend

import (
	"maps"
	"slices"
	"testing"

	"github.com/sqsperf/sqsperf/runner/sqsbackend/backendkind"
)

// A kind listed in backendkind without an opener would pass scenario
// validation and then fail at Open with "not known"; an opener without a
// listed kind could never be chosen. Each kind's file registers once.
func TestEveryKindHasAnOpener(t *testing.T) {
	for _, k := range backendkind.Names() {
		if openers[k] == nil {
			t.Errorf("kind %q (backendkind) has no opener: its file in sqsbackend must call register(%q, ...) from init", k, k)
		}
	}
	for k := range openers {
		if !backendkind.Known(k) {
			t.Errorf("opener registered for %q, which backendkind does not list: add it there", k)
		}
	}
	seen := map[string]bool{}
	for _, k := range registered {
		if seen[k] {
			t.Errorf("kind %q registered twice", k)
		}
		seen[k] = true
	}
	if got := slices.Sorted(maps.Keys(openers)); len(got) != len(backendkind.Names()) {
		t.Errorf("openers %v, kinds %v", got, backendkind.Names())
	}
}
