package runner

import (
	"context"
	"fmt"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/workloads"
)

// repeated reports whether a variant of plan asks for more than one run.
func repeated(plan *workloads.Plan) bool {
	for _, v := range plan.Variants {
		if v.Exp.Repeat > 1 {
			return true
		}
	}
	return false
}

// runRepeated runs every variant of plan Exp.Repeat times, interleaved:
// round r runs each variant that asks for more than r runs, in plan order
// (v1 r1, v2 r1, v1 r2, v2 r2, ...), so a slow drift of the machine
// spreads over every variant instead of favouring the first. Each run is
// an ordinary variant run on its own topic; the runs of a variant are then
// combined (merge.CombineRuns): medians as the figures, every run's
// figures kept as samples. On an error or an interruption the runs done so
// far are combined.
func runRepeated(ctx context.Context, plan *workloads.Plan, opt Options) (*report.Result, error) {
	flat := *plan
	flat.Variants = nil
	var owner []int // plan index of each flat variant
	for r := 0; ; r++ {
		added := false
		for i, v := range plan.Variants {
			if v.Exp.Repeat <= r {
				continue
			}
			run := v
			if v.Exp.Repeat > 1 {
				run.Name = fmt.Sprintf("%s (run %d/%d)", v.Name, r+1, v.Exp.Repeat)
			}
			flat.Variants = append(flat.Variants, run)
			owner = append(owner, i)
			added = true
		}
		if !added {
			break
		}
	}
	res, runErr := runOnce(ctx, &flat, opt)
	runs := make([][]report.Variant, len(plan.Variants))
	for j, rv := range res.Variants {
		i := owner[j]
		rv.Name = plan.Variants[i].Name
		runs[i] = append(runs[i], rv)
	}
	res.Variants = make([]report.Variant, 0, len(plan.Variants))
	for i := range plan.Variants {
		if len(runs[i]) == 0 {
			continue
		}
		v, err := merge.CombineRuns(runs[i])
		if err != nil && runErr == nil {
			runErr = err
		}
		res.Variants = append(res.Variants, v)
	}
	return res, runErr
}
