package verdict

import (
	"fmt"
	"strings"

	"github.com/kbench/kbench/report"
)

// Checks is everything a verdict weighs besides the figures: the gate
// expressions (for every variant, and per variant name) and a baseline
// comparison.
type Checks struct {
	// All: gates evaluated on every variant.
	All []string
	// PerVariant: gates of one variant (by name), evaluated before All.
	PerVariant map[string][]string
	// Baseline: a comparison already made against a baseline result;
	// a regression fails the verdict.
	Baseline *report.Comparison
	// KeepStored keeps a variant's stored gate results when no gate
	// applies to it (re-rendering a result without new gates).
	KeepStored bool
}

// Verdict is the one pass/fail decision of a result.
type Verdict struct {
	Passed bool
	// Failures say in words why it did not pass (empty when it did).
	Failures []string
}

// Decide is the only place kbench decides whether a result passed: it
// evaluates the gates on every variant (storing the outcomes in
// Variant.Gates), attaches the comparison, and sets r.Passed. A result
// passes when the run completed, every gate passed and nothing regressed.
// A gate on a figure that was not measured fails. A malformed gate is an
// error and changes nothing.
func Decide(r *report.Result, c Checks) (Verdict, error) {
	parsedAll, err := ParseGates(c.All)
	if err != nil {
		return Verdict{}, err
	}
	per := map[string][]Gate{}
	for name, exprs := range c.PerVariant {
		gs, err := ParseGates(exprs)
		if err != nil {
			return Verdict{}, err
		}
		per[name] = gs
	}
	var vd Verdict
	for i := range r.Variants {
		v := &r.Variants[i]
		gates := append(append([]Gate(nil), per[v.Name]...), parsedAll...)
		if len(gates) == 0 && c.KeepStored {
			continue
		}
		v.Gates = []report.GateResult{}
		for _, g := range gates {
			v.Gates = append(v.Gates, g.Eval(v))
		}
	}
	for _, v := range r.Variants {
		for _, g := range v.Gates {
			if g.Pass {
				continue
			}
			why := fmt.Sprintf("%s: gate %s failed", v.Name, g.Expr)
			if g.Error != "" {
				why += " (" + g.Error + ")"
			} else {
				why += fmt.Sprintf(" (value %s)", report.FormatValue(g.Value))
			}
			vd.Failures = append(vd.Failures, why)
		}
	}
	if c.Baseline != nil {
		r.Baseline = c.Baseline
	}
	if r.Baseline != nil && r.Baseline.Regressed() {
		vd.Failures = append(vd.Failures, fmt.Sprintf("%d regression(s) against the baseline", r.Baseline.Regressions))
	}
	if !r.Complete {
		why := "the run did not complete"
		if r.Error != "" {
			why += ": " + r.Error
		}
		vd.Failures = append(vd.Failures, why)
	}
	vd.Passed = len(vd.Failures) == 0
	r.Passed = vd.Passed
	return vd, nil
}

// Notes says in words what a reader must not miss about delivery:
// groups that did not drain (a backlog, not a loss), messages lost,
// messages the generator never sent, and what end-to-end latency rests on
// in a sharded run.
func Notes(r *report.Result) []string {
	var out []string
	for _, v := range r.Variants {
		prefix := ""
		if len(r.Variants) > 1 {
			prefix = v.Name + ": "
		}
		if v.Produce.Unsent > 0 {
			out = append(out, fmt.Sprintf("%sthe generator fell behind: %s messages due were never sent (in send delay and corrected latency at their delay at the end)",
				prefix, report.FormatFigure(float64(v.Produce.Unsent), "int")))
		}
		if v.Produce.Unacknowledged > 0 {
			out = append(out, fmt.Sprintf("%s%s messages were still unacknowledged when the flush at the end ended (a backlog in the client, counted apart)",
				prefix, report.FormatFigure(float64(v.Produce.Unacknowledged), "int")))
		}
		if v.E2E.SameClockOnly {
			out = append(out, fmt.Sprintf("%se2e latency rests on the %s messages produced and consumed on the same shard (one clock)",
				prefix, report.FormatFigure(float64(v.E2E.Latency.Count), "int")))
		}
		for _, g := range v.Consume.Groups {
			d := g.Delivery
			if g.Drained != nil && !*g.Drained {
				s := fmt.Sprintf("%sgroup %s did not drain", prefix, g.Group)
				if v.Config.Drain != "" {
					s += " within " + v.Config.Drain
				}
				if d.Unconsumed != nil {
					s += fmt.Sprintf(": %s messages unconsumed (still in the topic, not lost)", report.FormatFigure(float64(*d.Unconsumed), "int"))
				}
				out = append(out, s)
			}
			if d.Lost != nil && *d.Lost > 0 {
				out = append(out, fmt.Sprintf("%sgroup %s lost %s acknowledged messages (skipped below its committed offset or missing from the log)",
					prefix, g.Group, report.FormatFigure(float64(*d.Lost), "int")))
			}
		}
	}
	return out
}

// Words is the verdict line shared by the renderers.
func Words(r *report.Result) string {
	nGates, failed := 0, FailedGates(r)
	for _, v := range r.Variants {
		nGates += len(v.Gates)
	}
	var why []string
	if nGates > 0 {
		why = append(why, fmt.Sprintf("%d of %d gates passed", nGates-failed, nGates))
	}
	if r.Baseline != nil {
		if r.Baseline.Regressed() {
			why = append(why, fmt.Sprintf("%d regression(s) against the baseline", r.Baseline.Regressions))
		} else {
			why = append(why, "no regression against the baseline")
		}
	}
	v := "PASSED"
	if !r.Passed {
		v = "FAILED"
		if failed == 0 && !r.Baseline.Regressed() {
			if !r.Complete {
				why = append(why, "the run did not complete")
			} else {
				why = append(why, "failed outside the gates (see the log)")
			}
		}
	}
	if len(why) == 0 {
		return "RESULT: " + v + " (no gates)"
	}
	return "RESULT: " + v + " (" + strings.Join(why, "; ") + ")"
}
