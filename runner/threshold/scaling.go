package threshold

import (
	"fmt"
	"math"

	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/units"
)

// ScalingFunc is the function name of a scaling threshold.
const ScalingFunc = "scaling"

// scaling(METRIC, AXIS): for each pair of consecutive axis values the
// efficiency is (m[i+1]/m[i]) / (axis[i+1]/axis[i]); the observed value
// is the smallest. 1.0 is perfectly linear scaling, 0.8 is 80% of it.
func init() {
	register(Func{
		Name: ScalingFunc,
		Unit: metric.Number,
		Accepts: func(def metric.Def, key string) string {
			if def.Better != metric.HigherIsBetter {
				return fmt.Sprintf("scaling needs a metric where higher is better, such as throughput; %s is not", key)
			}
			return ""
		},
		Observe: observeScaling,
	})
}

func observeScaling(e *Expr, series []Series) (float64, string, error) {
	worst, worstStep := math.Inf(1), ""
	for _, s := range series {
		for i := 0; i+1 < len(s.Points); i++ {
			a, b := s.Points[i], s.Points[i+1]
			if a.Param <= 0 || a.Value <= 0 {
				return 0, "", fmt.Errorf("%s is %s at %s=%s: efficiency needs positive values", e.Key(), units.Format(e.Def.Unit, a.Value), e.Axis, a.Label)
			}
			eff := (b.Value / a.Value) / (b.Param / a.Param)
			if eff < worst {
				worst = eff
				worstStep = fmt.Sprintf("%s %s→%s", e.Axis, a.Label, b.Label)
				if s.Others != "" {
					worstStep += " with " + s.Others
				}
			}
		}
	}
	return worst, fmt.Sprintf("%s (worst step: %s)", units.Number(worst), worstStep), nil
}
