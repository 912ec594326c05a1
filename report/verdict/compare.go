package verdict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kbench/kbench/internal/stats"
	"github.com/kbench/kbench/report"
)

func resultLabel(r *report.Result) string {
	if r == nil {
		return ""
	}
	s := r.Experiment
	if !r.StartedAt.IsZero() {
		s += " @ " + r.StartedAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	if r.Shard != "" {
		s += " shard " + r.Shard
	}
	return s
}

// Compare measures cur against base: variants matched by name, every
// headline figure (Figures) with its absolute and relative delta and
// whether it got worse beyond the tolerance in its direction.
//
// A figure worse by no more than its noise floor (FloorFor) is never a
// regression. When both sides combine repeated runs (Variant.Repeats) with
// enough runs for the test to reach significance, the runs are compared
// with the two-sided Mann–Whitney U test at tol.Alpha: a difference that is
// not significant is "~" (NotSignificant), never a regression, however
// large. With a single run on a side (or too few runs), only tolerances
// and floors apply, and VariantComparison.Method says so.
//
// Only gated figures (Tolerance.Gated) count as regressions; a figure the
// baseline measured but the current run did not is one, and so is a
// baseline variant missing from cur.
func Compare(base, cur *report.Result, tol report.Tolerance) report.Comparison {
	c := report.Comparison{Baseline: resultLabel(base), Current: resultLabel(cur), Tolerance: tol}
	byName := func(r *report.Result) map[string]*report.Variant {
		m := map[string]*report.Variant{}
		if r != nil {
			for i := range r.Variants {
				m[r.Variants[i].Name] = &r.Variants[i]
			}
		}
		return m
	}
	bm, cm := byName(base), byName(cur)
	var names []string
	if base != nil {
		for _, v := range base.Variants {
			names = append(names, v.Name)
		}
	}
	if cur != nil {
		for _, v := range cur.Variants {
			if bm[v.Name] == nil {
				names = append(names, v.Name)
			}
		}
	}
	for _, name := range names {
		bv, cv := bm[name], cm[name]
		vc := report.VariantComparison{Name: name}
		switch {
		case cv == nil:
			vc.Missing = "current"
			c.Regressions++
		case bv == nil:
			vc.Missing = "baseline"
		default:
			vc.BaseRuns, vc.CurRuns = RunCount(bv), RunCount(cv)
			vc.Method = method(vc.BaseRuns, vc.CurRuns, tol.AlphaOrDefault())
			for _, f := range report.Figures(bv, cv) {
				d := compareFigure(f, bv, cv, tol)
				if d.Regression {
					c.Regressions++
				}
				if !d.BaseOK && !d.CurOK {
					continue
				}
				vc.Deltas = append(vc.Deltas, d)
			}
		}
		c.Variants = append(c.Variants, vc)
	}
	return c
}

// RunCount is how many runs a variant's figures combine.
func RunCount(v *report.Variant) int {
	if v.Repeats != nil && v.Repeats.Runs > 1 {
		return v.Repeats.Runs
	}
	return 1
}

// method describes how a variant's differences are judged.
func method(nb, nc int, alpha float64) string {
	a := strconv.FormatFloat(alpha, 'g', -1, 64)
	switch {
	case nb < 2 && nc < 2:
		return "single runs on both sides: no significance test; tolerances and noise floors only (run --repeat 5 for a test)"
	case nb < 2:
		return "single run on the baseline side: no significance test; tolerances and noise floors only"
	case nc < 2:
		return "single run on the current side: no significance test; tolerances and noise floors only"
	}
	if minP := stats.MinP(nb, nc); minP > alpha {
		return fmt.Sprintf("%d v %d runs cannot reach significance at α=%s (smallest p %.3g): tolerances and noise floors only; use 5 runs a side", nb, nc, a, minP)
	}
	return fmt.Sprintf("%d v %d runs: two-sided Mann–Whitney U test at α=%s; ~ = not significant", nb, nc, a)
}

func compareFigure(f report.Figure, bv, cv *report.Variant, t report.Tolerance) report.Delta {
	tol := t.For(f.Path)
	d := report.Delta{Path: f.Path, Label: f.Label, Better: f.Better, Format: f.Format,
		Floor: t.FloorFor(f.Path), BaseRuns: RunCount(bv), CurRuns: RunCount(cv)}
	d.Gated = f.Better != report.Neutral && t.Gated(f.Path)
	d.Group, _ = strings.CutPrefix(f.Section, "group ")
	if d.Group == f.Section {
		d.Group = ""
	}
	switch f.Better {
	case report.HigherBetter:
		d.Direction = "higher"
	case report.LowerBetter:
		d.Direction = "lower"
	}
	var errB, errC error
	d.Base, errB = report.Lookup(bv, f.Path)
	d.Cur, errC = report.Lookup(cv, f.Path)
	d.BaseOK, d.CurOK = errB == nil, errC == nil
	if f.Better != report.Neutral {
		d.Tolerance = tol.String()
	}
	br, cr := bv.Runs(f.Path), cv.Runs(f.Path)
	if br != nil && d.BaseOK {
		d.BaseCI = br.CI
	}
	if cr != nil && d.CurOK {
		d.CurCI = cr.CI
	}
	switch {
	case d.BaseOK && !d.CurOK:
		d.Note = "not measured in current run"
		d.Regression = f.Better != report.Neutral
		return d
	case !d.BaseOK && d.CurOK:
		d.Note = "new figure (no baseline)"
		return d
	case !d.BaseOK:
		return d
	}
	d.Abs = d.Cur - d.Base
	if d.Base != 0 && math.Abs(d.Base) > d.Floor {
		p := d.Abs / math.Abs(d.Base) * 100
		d.Pct = &p
	}
	worse := 0.0 // how much worse, in the figure's unit
	switch f.Better {
	case report.HigherBetter:
		worse = d.Base - d.Cur
	case report.LowerBetter:
		worse = d.Cur - d.Base
	default:
		return d
	}
	allow := math.Max(tol.Allowance(d.Base), d.Floor)
	beyond, better := worse > allow, -worse > allow
	if bs, cs := br.Measured(), cr.Measured(); len(bs) >= 2 && len(cs) >= 2 {
		r, err := stats.Test(bs, cs, t.AlphaOrDefault())
		if err == nil && r.Possible {
			d.P = &r.P
			if !r.Significant {
				d.NotSignificant = d.Abs != 0
				beyond, better = false, false
			}
		}
	}
	d.Regression = beyond && d.Gated
	d.Worse = beyond && !d.Gated
	d.Improved = better
	return d
}
