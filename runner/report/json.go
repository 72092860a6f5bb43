package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/sqsperf/sqsperf/runner/result"
)

func writeJSON(w io.Writer, s *result.Scenario) error {
	if s.SchemaVersion == 0 {
		// Producers that forget the version still write a file readers can
		// decode: the version is that of the types it was written from.
		s.SchemaVersion = result.SchemaVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Threshold expressions read "p99(stage.process) < 100ms"; escaping
	// '<' as \u003c would only make the file harder to read.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encoding result.json: %w", err)
	}
	return nil
}
