package runner

import (
	"fmt"

	"github.com/sqsperf/sqsperf/runner/baseline"
	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/fingerprint"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
)

// UpdateBaselines writes one baseline file per case of a judged result. It
// refuses a result that failed its thresholds: a baseline is the standard
// future runs are held to, and a failing run must not become it.
func UpdateBaselines(res *result.Scenario, sc *scenario.Scenario, dir string) ([]string, error) {
	if res.Verdict == result.VerdictFail || res.Verdict == result.VerdictError {
		return nil, exitcode.Errorf(exitcode.Threshold,
			"%s: not writing a baseline from a run that failed its thresholds; fix the failure (see the report) and run 'runner baseline update' again", sc.File)
	}
	fp := fingerprint.Current(res.Environment["backend"])
	var written []string
	for _, c := range res.Cases {
		path := baseline.Path(dir, sc.Name, c.Name)
		b := baseline.FromCase(sc.Name, res.Hash, fp, c)
		b.Size = res.Size // a scaled run's numbers hold only for runs of its size
		if err := baseline.Save(path, b); err != nil {
			return written, fmt.Errorf("writing baseline %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}
