package profile

import (
	"bytes"
	"testing"
)

// FuzzTopFunctions feeds arbitrary bytes to the profile reader: a corrupt
// or truncated file must give an error, never a panic.
func FuzzTopFunctions(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("not a profile"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := TopFunctionsFrom(bytes.NewReader(data), 10)
		if err == nil && len(top) > 10 {
			t.Fatalf("asked for 10 functions, got %d", len(top))
		}
	})
}
