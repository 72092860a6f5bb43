package runner

import "testing"

// The run label is "<scenario>[/<case>][ #<repeat>/<repeats>]"
// (runner.go); the prefix must keep every case and repeat apart, or one
// run's profiles overwrite another's in the shared directory.
func TestFilePrefix(t *testing.T) {
	for _, tc := range []struct{ label, want string }{
		{"stress", ""},
		{"stress #2/3", "r2of3-"},
		{"scalability/workers=4", "workers=4-"},
		{"scalability/workers=4 #2/3", "workers=4-r2of3-"},
		{"scalability/workers=4,visibility=30s #1/2", "workers=4,visibility=30s-r1of2-"},
		{"sweep/path=a/b", "path=aofb-"},
		{"sweep/path=..\\x", "path=__x-"},
	} {
		if got := filePrefix(tc.label); got != tc.want {
			t.Errorf("filePrefix(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
}

// Every repeat of a scenario without a matrix must get its own prefix.
func TestFilePrefixRepeatsDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, label := range []string{"stress #1/3", "stress #2/3", "stress #3/3"} {
		p := filePrefix(label)
		if other, dup := seen[p]; dup {
			t.Errorf("%q and %q share the profile prefix %q", other, label, p)
		}
		seen[p] = label
	}
}
