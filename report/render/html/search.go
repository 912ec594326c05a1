package html

import (
	"fmt"
	"html/template"
	"sort"

	"github.com/kbench/kbench/report"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// capacityChart is the throughput-latency curve of every searched
// variant: each probe's produce latency p99 (or, without one, e2e p99)
// against its achieved rate, in rate order, so the knee where latency
// turns up (the hockey stick) shows; passing probes are filled dots,
// failing ones crosses.
func capacityChart(r *report.Result) (template.HTML, bool, error) {
	p := newPlot("Capacity search: latency against achieved rate", "achieved msg/s", "produce latency p99 (ms)")
	drawn := false
	for i := range r.Variants {
		v := &r.Variants[i]
		if v.Search == nil {
			continue
		}
		probes := append([]report.Probe(nil), v.Search.Probes...)
		sort.SliceStable(probes, func(a, b int) bool { return probes[a].Rate < probes[b].Rate })
		var line, pass, fail plotter.XYs
		for _, pr := range probes {
			if pr.LatencyP99Ms == nil {
				continue
			}
			pt := plotter.XY{X: pr.AchievedMsgsPerS, Y: *pr.LatencyP99Ms}
			line = append(line, pt)
			if pr.Passed {
				pass = append(pass, pt)
			} else {
				fail = append(fail, pt)
			}
		}
		if len(line) == 0 {
			continue
		}
		if err := addVariantLine(p, i, v.Name, line); err != nil {
			return "", false, err
		}
		for _, set := range []struct {
			xy    plotter.XYs
			glyph draw.GlyphDrawer
		}{{pass, draw.CircleGlyph{}}, {fail, draw.CrossGlyph{}}} {
			if len(set.xy) == 0 {
				continue
			}
			s, err := plotter.NewScatter(set.xy)
			if err != nil {
				return "", false, err
			}
			s.GlyphStyle.Color = variantColor(i)
			s.GlyphStyle.Shape = set.glyph
			s.GlyphStyle.Radius = vg.Points(3)
			p.Add(s)
		}
		drawn = true
	}
	if !drawn {
		return "", false, nil
	}
	p.Y.Min = 0
	svg, err := plotSVG(p, 18*vg.Centimeter, 8*vg.Centimeter)
	return svg, true, err
}

// probeLagChart draws the largest group lag of each probe of variant i
// over the probe's seconds, one line per probe: a probe over capacity
// climbs, one within it stays flat.
func probeLagChart(r *report.Result, i int) (template.HTML, bool, error) {
	v := &r.Variants[i]
	if v.Search == nil {
		return "", false, nil
	}
	p := newPlot("Lag per probe: "+v.Name, "second of the probe", "lag (messages)")
	drawn := false
	for j, pr := range v.Search.Probes {
		if len(pr.Lag) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(pr.Lag))
		for k, l := range pr.Lag {
			xy[k] = plotter.XY{X: float64(k + 1), Y: float64(l)}
		}
		verdict := "pass"
		if !pr.Passed {
			verdict = "fail"
		}
		if err := addVariantLine(p, j, fmt.Sprintf("%g msg/s %s", pr.Rate, verdict), xy); err != nil {
			return "", false, err
		}
		drawn = true
	}
	if !drawn {
		return "", false, nil
	}
	p.Y.Min = 0
	svg, err := plotSVG(p, 18*vg.Centimeter, 8*vg.Centimeter)
	return svg, true, err
}
