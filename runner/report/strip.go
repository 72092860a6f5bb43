package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/sqsperf/sqsperf/runner/internal/sample"
	"github.com/sqsperf/sqsperf/runner/result"
)

// A strip chart per gated metric: each repeat of the baseline and of this
// run as a dot on one shared axis, with each side's median marked. A
// median and a p-value say that a metric moved; the dots show whether the
// two sides overlap at all, which is what a reader checks before believing
// a regression. It is drawn as inline SVG on the server: the numbers are
// known here, and the picture needs no script to be right.

// Geometry of a strip, in SVG user units (the element scales to its box).
const (
	stripWidth  = 360.0
	stripHeight = 74.0
	stripLeft   = 74.0 // room for the row labels
	stripRight  = 12.0
	stripBaseY  = 20.0
	stripCurY   = 44.0
)

type stripView struct {
	ID, Case, Metric, Verdict, Class, Change string
	Base, Cur                                []stripDot
	BaseMedian, CurMedian                    float64 // x of each side's median
	BaseMedianText, CurMedianText            string
	Lo, Hi                                   string // axis ends
	Width, Height, Left, Right, BaseY, CurY  float64
	AxisY, LabelY                            float64
}

type stripDot struct {
	X, Y  float64
	Title string
}

// stripsOf builds the strips of every judged comparison with samples on
// both sides, in the order of rows (regressions first).
func stripsOf(cmps []result.Comparison) []stripView {
	var out []stripView
	for i, c := range cmps {
		if c.Verdict == "info" || len(c.BaselineSamples) == 0 || len(c.CurrentSamples) == 0 {
			continue
		}
		out = append(out, stripOf(i, c))
	}
	rank := map[string]int{"regression": 0, "warning": 1, "improvement": 2, "unchanged": 3}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Verdict] < rank[out[j].Verdict] })
	return out
}

func stripOf(i int, c result.Comparison) stripView {
	all := append(append([]float64(nil), c.BaselineSamples...), c.CurrentSamples...)
	lo, hi := minMax(finite(all))
	if hi == lo {
		// One value on both sides: centre it on a small span.
		pad := math.Max(math.Abs(lo)*0.05, 1e-12)
		lo, hi = lo-pad, hi+pad
	}
	x := func(v float64) float64 {
		return stripLeft + (v-lo)/(hi-lo)*(stripWidth-stripLeft-stripRight)
	}
	dots := func(samples []float64, y float64) []stripDot {
		var out []stripDot
		for k, v := range samples {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			// Equal values would hide each other: spread them a little
			// up and down, in a fixed pattern so the page is reproducible.
			jitter := float64(k%3-1) * 4
			out = append(out, stripDot{X: round2(x(v)), Y: y + jitter, Title: formatKey(c.Metric, v)})
		}
		return out
	}
	bm, _ := sample.Median(finite(c.BaselineSamples))
	cm, _ := sample.Median(finite(c.CurrentSamples))
	cls := ""
	switch c.Verdict {
	case "regression":
		cls = "bad"
	case "improvement":
		cls = "good"
	case "warning":
		cls = "warn"
	}
	return stripView{
		ID:   fmt.Sprintf("strip-%d-%s", i, chartSlug(strings.ReplaceAll(c.Metric, ".", "-"))),
		Case: c.Case, Metric: c.Metric, Verdict: string(c.Verdict), Class: cls, Change: formatChange(c.Change),
		Base: dots(c.BaselineSamples, stripBaseY), Cur: dots(c.CurrentSamples, stripCurY),
		BaseMedian: round2(x(bm)), CurMedian: round2(x(cm)),
		BaseMedianText: formatKey(c.Metric, bm), CurMedianText: formatKey(c.Metric, cm),
		Lo: formatKey(c.Metric, lo), Hi: formatKey(c.Metric, hi),
		Width: stripWidth, Height: stripHeight, Left: stripLeft, Right: stripWidth - stripRight,
		BaseY: stripBaseY, CurY: stripCurY, AxisY: stripCurY + 12, LabelY: stripCurY + 26,
	}
}

func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
