package scenario

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse feeds arbitrary bytes to the decoder: it must never panic, and
// it must either return a valid scenario or an ErrorList whose every entry
// names the file and says something.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(suiteDir, "*.yaml"))
	files = append(files, "testdata/kitchen-sink.yaml", "testdata/malformed.yaml", "testdata/impossible.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			list, ok := err.(ErrorList)
			require.True(t, ok, "error is %T, want ErrorList", err)
			require.NotEmpty(t, list)
			for _, e := range list {
				assert.Equal(t, "f.yaml", e.File)
				assert.NotEmpty(t, e.Msg)
			}
			return
		}
		require.NoError(t, s.Validate(), "a parsed scenario must validate again")
		cases, err := s.Cases()
		require.NoError(t, err)
		require.NotEmpty(t, cases)
		for _, c := range cases {
			assert.NoError(t, c.Scenario.Validate(), c.Name)
		}
		assert.Len(t, s.Hash(), 64)
		_ = s.Scale(3).Hash()
	})
}
