package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// RenderMarkdown writes a GitHub-flavoured summary sized for a CI job
// summary: verdict first, the figures table (variants as columns, best in
// bold), failed gates, the baseline comparison's regressions, and the rest
// folded in <details>.
func RenderMarkdown(w io.Writer, r *report.Result) error {
	o := &errWriter{w: w}
	vs := VariantPtrs(r)
	mdHeader(o, r, vs)
	if len(vs) == 0 {
		return o.err
	}
	mdGates(o, vs)
	if r.Baseline != nil {
		renderComparisonMarkdown(o, r.Baseline, true)
	}
	mdSearch(o, vs)
	mdFigures(o, vs)
	mdRebalances(o, vs)
	mdDetails(o, vs)
	return o.err
}

// mdHeader is the verdict, its notes, when and where.
func mdHeader(o *errWriter, r *report.Result, vs []*report.Variant) {
	icon := "✅"
	if !r.Passed {
		icon = "❌"
	}
	o.printf("## %s kbench: %s\n\n", icon, mdEscape(r.Experiment))
	o.printf("%s\n\n", mdEscape(verdict.Words(r)))
	for _, n := range verdict.Notes(r) {
		o.printf("- %s\n", mdEscape(n))
	}
	if len(verdict.Notes(r)) > 0 {
		o.printf("\n")
	}
	meta := fmt.Sprintf("Started %s · %d variant(s) · %s · broker: %s",
		r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), len(vs), Status(r), r.Broker.Kind)
	if r.Shard != "" {
		meta += " · shard " + r.Shard
	}
	o.printf("%s\n\n", mdEscape(meta))
	if r.Broker.Note != "" {
		o.printf("> **Note:** %s\n\n", mdEscape(r.Broker.Note))
	}
}

// mdGates lists the gates first: what a CI reader is looking for.
func mdGates(o *errWriter, vs []*report.Variant) {
	nGates := 0
	for _, v := range vs {
		nGates += len(v.Gates)
	}
	if nGates > 0 {
		o.printf("### Gates\n\n| | variant | gate | measured |\n|---|---|---|---:|\n")
		for _, v := range vs {
			for _, g := range v.Gates {
				mark, val := "✅", gateShown(g)
				if !g.Pass {
					mark = "❌"
				}
				o.printf("| %s | %s | `%s` | %s |\n", mark, mdEscape(v.Name), g.Expr, mdEscape(val))
			}
		}
		o.printf("\n")
	}
}

// mdFigures is the figures table, the best value per row in bold.
func mdFigures(o *errWriter, vs []*report.Variant) {
	o.printf("### Figures\n\nBest value per row in **bold**.\n\n| figure |")
	for _, v := range vs {
		o.printf(" %s |", mdEscape(v.Name))
	}
	o.printf("\n|---|")
	for range vs {
		o.printf("---:|")
	}
	o.printf("\n")
	figs := report.Figures(vs...)
	secNames, bySec := Sections(figs)
	for _, sec := range secNames {
		if !SectionHasData(bySec[sec], vs) {
			continue
		}
		o.printf("| ***%s*** |%s\n", mdEscape(SectionTitle(sec)), strings.Repeat(" |", len(vs)))
		for _, f := range bySec[sec] {
			o.printf("| %s |", mdEscape(f.Label))
			for _, c := range FigureRow(f, vs) {
				if c.Best {
					o.printf(" **%s** |", c.Text)
				} else {
					o.printf(" %s |", c.Text)
				}
			}
			o.printf("\n")
		}
	}
	o.printf("\n")

}

// mdRebalances is a table per group that rebalanced during the run: when
// each rebalance started, how long it took, what it moved and paused.
func mdRebalances(o *errWriter, vs []*report.Variant) {
	ts := RebalanceTables(vs)
	if len(ts) == 0 {
		return
	}
	o.printf("### Rebalances\n\n")
	for _, t := range ts {
		o.printf("**%s** · group `%s`: %s\n\n|", mdEscape(t.Variant), t.Group, mdEscape(t.Summary))
		for _, c := range RebalanceColumns {
			o.printf(" %s |", c)
		}
		o.printf("\n|%s---|\n", strings.Repeat("---:|", len(RebalanceColumns)-1))
		for _, row := range t.Rows {
			o.printf("|")
			for _, c := range row {
				o.printf(" %s |", mdEscape(c))
			}
			o.printf("\n")
		}
		o.printf("\n")
	}
}

// mdDetails folds partition load, lag and hot keys, and the settings.
func mdDetails(o *errWriter, vs []*report.Variant) {
	// Partition load and lag as sparklines, folded.
	o.printf("<details><summary>Partition load, lag and hot keys</summary>\n\n")
	o.printf("| variant | load per partition | lag over time | max lag | hot keys |\n|---|---|---|---:|---|\n")
	var maxLoad, lagMax float64
	for _, v := range vs {
		for _, p := range v.Partitions {
			maxLoad = max(maxLoad, float64(p.Messages))
		}
		lagMax = max(lagMax, maxOf(LagSeries(v)))
	}
	for _, v := range vs {
		load := make([]float64, len(v.Partitions))
		for i, p := range v.Partitions {
			load[i] = float64(p.Messages)
		}
		var keys []string
		for _, k := range v.Keys.Top {
			keys = append(keys, fmt.Sprintf("%s %s", mdEscape(truncate(k.Key, 24)), report.FormatFigure(k.Share, "pct")))
		}
		lag := downsample(LagSeries(v), 40)
		o.printf("| %s | `%s` | `%s` | %s | %s |\n", mdEscape(v.Name), sparkline(load, maxLoad), sparkline(lag, lagMax),
			report.FormatFigure(maxOf(LagSeries(v)), "int"), strings.Join(keys, ", "))
	}
	o.printf("\n")
	common, own := SplitConfig(vs)
	o.printf("Settings: %s", mdEscape(strings.Join(common, ", ")))
	for i, v := range vs {
		if len(own[i]) > 0 {
			o.printf("; **%s**: %s", mdEscape(v.Name), mdEscape(strings.Join(own[i], ", ")))
		}
	}
	o.printf("\n\n</details>\n")
}
