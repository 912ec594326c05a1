package render

import (
	"fmt"

	"github.com/kbench/kbench/report"
)

// RebalanceColumns head a group's per-rebalance table.
var RebalanceColumns = []string{"started at s", "duration ms", "partitions moved", "partitions added", "pause ms", "cause"}

// RebalanceTable is one group's rebalance_log, formatted for a table.
type RebalanceTable struct {
	Variant, Group string
	// Summary: the group's rebalances and rebalance_pause_ms in words.
	Summary string
	// Rows: one per rebalance, cells in RebalanceColumns' order.
	Rows [][]string
}

// RebalanceTables lists, per variant and group whose rebalance_log is not
// empty, its rebalances. A rebalance still running at the end shows its
// duration so far, marked unfinished; a cause not recorded is "-".
func RebalanceTables(vs []*report.Variant) []RebalanceTable {
	var out []RebalanceTable
	for _, v := range vs {
		for _, g := range v.Consume.Groups {
			if len(g.RebalanceLog) == 0 {
				continue
			}
			t := RebalanceTable{Variant: v.Name, Group: g.Group,
				Summary: fmt.Sprintf("%d rebalance(s), pause %s partition-ms", g.Rebalances, report.FormatOptMs(g.RebalancePauseMs))}
			if g.MaxPollEvictions > 0 {
				t.Summary += fmt.Sprintf(", %d max-poll eviction(s)", g.MaxPollEvictions)
			}
			for _, r := range g.RebalanceLog {
				dur := report.FormatFigure(r.DurationMs, "ms")
				if r.Unfinished {
					dur += " (unfinished)"
				}
				cause := r.Cause
				if cause == "" {
					cause = "-"
				}
				t.Rows = append(t.Rows, []string{
					fmt.Sprintf("%.3f", r.AtS), dur,
					fmt.Sprintf("%d", r.PartitionsMoved), fmt.Sprintf("%d", r.PartitionsAdded),
					report.FormatFigure(r.PauseMs, "ms"), cause,
				})
			}
			out = append(out, t)
		}
	}
	return out
}
