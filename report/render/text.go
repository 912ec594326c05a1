package render

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

// textWidth is the terminal width the text report is laid out for.
const textWidth = 80

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) line(s string) { e.printf("%s\n", strings.TrimRight(s, " ")) }

// textLayout places variants in columns beside a label column, splitting
// them into several tables when they do not fit textWidth.
type textLayout struct {
	labelW, colW int
	chunks       [][]int // variant indexes per table
}

func newTextLayout(labels []string, names []string, cellTexts []string) textLayout {
	l := textLayout{labelW: 18, colW: 8}
	for _, s := range labels {
		l.labelW = max(l.labelW, utf8.RuneCountInString(s)+3)
	}
	for _, s := range names {
		l.colW = max(l.colW, utf8.RuneCountInString(s)+1)
	}
	for _, s := range cellTexts {
		l.colW = max(l.colW, utf8.RuneCountInString(s)+1)
	}
	l.colW = min(l.colW, 14) // longer names are truncated
	per := max(1, (textWidth-l.labelW)/(l.colW+1))
	for i := 0; i < len(names); i += per {
		var c []int
		for j := i; j < min(i+per, len(names)); j++ {
			c = append(c, j)
		}
		l.chunks = append(l.chunks, c)
	}
	return l
}

// RenderText writes the human report: header, one table with a column per
// variant (the best value of each directional figure marked *), partition
// load bars, lag and throughput sparklines, hot keys, gates and verdict.
// Lines stay within 80 columns; more variants than fit wrap into further
// tables.
func RenderText(w io.Writer, r *report.Result) error {
	o := &errWriter{w: w}
	textHeader(o, r)
	vs := VariantPtrs(r)
	if len(vs) == 0 {
		o.line("")
		o.line("no variants were measured")
		return o.err
	}
	nameW := 0
	for _, v := range vs {
		nameW = max(nameW, utf8.RuneCountInString(v.Name))
	}
	nameW = min(nameW, 24)
	textVariants(o, vs, nameW)
	textSearch(o, vs)
	lay := textFigures(o, vs)
	textPartitions(o, vs, lay)
	textSeries(o, vs, nameW)
	textHotKeys(o, vs, nameW)
	textFaults(o, vs)
	textRebalances(o, vs)
	textGates(o, vs, nameW)
	if r.Baseline != nil {
		o.line("")
		if err := comparisonText(o, r.Baseline); err != nil {
			return err
		}
	}

	o.line("")
	o.line(verdict.Words(r))
	for _, n := range verdict.Notes(r) {
		for _, l := range wrap(n, textWidth-2, "  ") {
			o.line("  " + strings.TrimLeft(l, " "))
		}
	}
	return o.err
}

// textHeader is the title, when, the broker and its caveat.
func textHeader(o *errWriter, r *report.Result) {
	title := "kbench · " + r.Experiment
	if r.Description != "" {
		title += " — " + r.Description
	}
	for _, l := range wrap(title, textWidth, "  ") {
		o.line(l)
	}
	o.line(fmt.Sprintf("started %s · %d variant(s) · %s", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), len(r.Variants), Status(r)))
	if r.Shard != "" {
		o.line("shard " + r.Shard)
	}
	broker := "broker: " + r.Broker.Kind
	if len(r.Broker.Brokers) > 0 && r.Broker.Kind != "embedded" {
		broker += " (" + strings.Join(r.Broker.Brokers, ",") + ")"
	}
	o.line(broker)
	if r.Broker.Note != "" {
		for _, l := range wrap("note: "+r.Broker.Note, textWidth, "      ") {
			o.line(l)
		}
	} else if r.Broker.Kind == "embedded" {
		o.line("note: embedded in-memory broker; figures measure the client, not a Kafka cluster")
	}
}

// textVariants lists each variant's own settings, then the shared ones.
func textVariants(o *errWriter, vs []*report.Variant, nameW int) {
	// Variants and their settings.
	o.line("")
	o.line("VARIANTS")
	common, own := SplitConfig(vs)
	for i, v := range vs {
		desc := strings.Join(own[i], ", ")
		if desc == "" {
			desc = sortedParams(v.Params)
		}
		for j, l := range wrap(desc, textWidth-nameW-4, "") {
			if j == 0 {
				o.line("  " + padRight(truncate(v.Name, nameW), nameW) + "  " + l)
			} else {
				o.line("  " + strings.Repeat(" ", nameW) + "  " + l)
			}
		}
	}
	if len(common) > 0 {
		for _, l := range wrap("all: "+strings.Join(common, ", "), textWidth-2, "     ") {
			o.line("  " + l)
		}
	}

}

// textFigures is the figures table, in chunks of variants that fit the
// width; it returns the layout the other tables share.
func textFigures(o *errWriter, vs []*report.Variant) textLayout {
	// Figures table.
	figs := report.Figures(vs...)
	secNames, bySec := Sections(figs)
	rows := map[string][]Cell{}
	var labels, texts []string
	for _, f := range figs {
		rows[f.Path] = FigureRow(f, vs)
		labels = append(labels, f.Label)
		for _, c := range rows[f.Path] {
			texts = append(texts, c.Text)
		}
	}
	lay := newTextLayout(labels, shortNames(vs), texts)
	for _, chunk := range lay.chunks {
		o.line("")
		if len(lay.chunks) > 1 {
			o.line(fmt.Sprintf("FIGURES (variants %d-%d of %d; * = best)", chunk[0]+1, chunk[len(chunk)-1]+1, len(vs)))
		} else {
			o.line("FIGURES (* = best of the variants)")
		}
		o.line(lay.header(vs, chunk))
		for _, sec := range secNames {
			if !SectionHasData(bySec[sec], vs) {
				continue
			}
			o.line(strings.ToUpper(SectionTitle(sec)[:1]) + SectionTitle(sec)[1:])
			for _, f := range bySec[sec] {
				s := "  " + padRight(f.Label, lay.labelW-2)
				for _, i := range chunk {
					c := rows[f.Path][i]
					mark := " "
					if c.Best {
						mark = "*"
					}
					s += " " + padLeft(c.Text+mark, lay.colW)
				}
				o.line(s)
			}
		}
	}

	return lay
}

// textPartitions draws a bar per partition per variant.
func textPartitions(o *errWriter, vs []*report.Variant, lay textLayout) {
	// Partition load bars.
	var maxLoad float64
	maxParts := 0
	for _, v := range vs {
		for _, p := range v.Partitions {
			maxLoad = max(maxLoad, float64(p.Messages))
			maxParts = max(maxParts, p.Partition+1)
		}
	}
	if maxParts > 0 {
		for _, chunk := range lay.chunks {
			o.line("")
			o.line("PARTITION LOAD (messages; bars to scale, · = idle)")
			o.line(lay.header(vs, chunk))
			for p := 0; p < maxParts; p++ {
				s := "  " + padRight(fmt.Sprintf("p%d", p), lay.labelW-2)
				for _, i := range chunk {
					bar := ""
					for _, pp := range vs[i].Partitions {
						if pp.Partition == p {
							bar = hbar(float64(pp.Messages), maxLoad, lay.colW-1)
						}
					}
					s += " " + padRight(bar, lay.colW)
				}
				o.line(s)
			}
		}
	}

}

// textSeries draws lag and throughput over time, one scale for all.
func textSeries(o *errWriter, vs []*report.Variant, nameW int) {
	// Sparklines over time.
	sparkW := textWidth - nameW - 4 - 14
	hasTS := false
	for _, v := range vs {
		hasTS = hasTS || len(v.Timeseries) > 0
	}
	if hasTS {
		var lagMax, rateMax float64
		for _, v := range vs {
			lagMax = max(lagMax, maxOf(LagSeries(v)))
			rateMax = max(rateMax, maxOf(RateSeries(v)))
		}
		o.line("")
		o.line("LAG OVER TIME (all groups, per second; one scale)")
		for _, v := range vs {
			l := downsample(LagSeries(v), sparkW)
			o.line("  " + padRight(truncate(v.Name, nameW), nameW) + "  " + padRight(sparkline(l, lagMax), sparkW) +
				" max " + report.FormatFigure(maxOf(l), "int"))
		}
		o.line("")
		o.line("THROUGHPUT OVER TIME (acked msg/s; one scale)")
		for _, v := range vs {
			l := downsample(RateSeries(v), sparkW)
			o.line("  " + padRight(truncate(v.Name, nameW), nameW) + "  " + padRight(sparkline(l, rateMax), sparkW) +
				" max " + report.FormatFigure(maxOf(l), "int"))
		}
	}

}

// textHotKeys lists each variant's hot keys.
func textHotKeys(o *errWriter, vs []*report.Variant, nameW int) {
	// Hot keys.
	hasKeys := false
	for _, v := range vs {
		hasKeys = hasKeys || len(v.Keys.Top) > 0
	}
	if hasKeys {
		o.line("")
		o.line("HOT KEYS (share of messages)")
		for _, v := range vs {
			var parts []string
			for _, k := range v.Keys.Top {
				parts = append(parts, fmt.Sprintf("%s %s", k.Key, report.FormatFigure(k.Share, "pct")))
			}
			o.line("  " + padRight(truncate(v.Name, nameW), nameW) + "  " + truncate(strings.Join(parts, ", "), textWidth-nameW-4))
		}
	}

}

// textFaults lists the faults run.
func textFaults(o *errWriter, vs []*report.Variant) {
	// Faults.
	for _, v := range vs {
		for i, f := range v.Faults {
			if i == 0 {
				o.line("")
				o.line("FAULTS " + v.Name)
			}
			o.line(fmt.Sprintf("  %6.1fs  %-16s %-20s #%d  failover %s ms", f.AtS, f.Kind, f.Group, f.Instance, report.FormatOptMs(f.FailoverMs)))
		}
	}

}

// textRebalances lists, per group that rebalanced during the run, each
// rebalance: when, how long, partitions moved and the pause it cost.
func textRebalances(o *errWriter, vs []*report.Variant) {
	for _, v := range vs {
		head := false
		for _, g := range v.Consume.Groups {
			if len(g.RebalanceLog) == 0 && g.MaxPollEvictions == 0 {
				continue
			}
			if !head {
				o.line("")
				o.line("REBALANCES " + v.Name)
				head = true
			}
			o.line(fmt.Sprintf("  group %s: pause %s partition-ms, %d max-poll eviction(s)", g.Group, report.FormatOptMs(g.RebalancePauseMs), g.MaxPollEvictions))
			for _, r := range g.RebalanceLog {
				end := ""
				if r.Unfinished {
					end = "  (unfinished at the end)"
				}
				if r.PartitionsAdded > 0 {
					end = fmt.Sprintf("  %d added", r.PartitionsAdded) + end
				}
				if r.Cause != "" {
					end = "  (" + r.Cause + ")" + end
				}
				o.line(fmt.Sprintf("  %6.1fs  %8.0f ms  %3d moved  pause %8.0f ms%s", r.AtS, r.DurationMs, r.PartitionsMoved, r.PauseMs, end))
			}
		}
	}
}

// textGates lists every gate with its verdict and value.
func textGates(o *errWriter, vs []*report.Variant, nameW int) {
	// Gates.
	nGates := 0
	for _, v := range vs {
		nGates += len(v.Gates)
	}
	if nGates > 0 {
		o.line("")
		o.line("GATES")
		exprW := 0
		for _, v := range vs {
			for _, g := range v.Gates {
				exprW = max(exprW, utf8.RuneCountInString(g.Expr))
			}
		}
		exprW = min(exprW, textWidth-nameW-10-18)
		for _, v := range vs {
			for _, g := range v.Gates {
				verdict, val := "pass", gateShown(g)
				if !g.Pass {
					verdict = "FAIL"
				}
				s := fmt.Sprintf("  %s  %s  %s", verdict, padRight(truncate(v.Name, nameW), nameW), padRight(g.Expr, exprW))
				if utf8.RuneCountInString(s)+2+utf8.RuneCountInString(val) <= textWidth {
					o.line(s + "  " + val)
				} else {
					o.line(s)
					for _, l := range wrap(val, textWidth-10, "") {
						o.line("        " + l)
					}
				}
			}
		}
	}

}

// gateShown is what a report shows for a gate: its error when it could not
// be evaluated, else the measured value.
func gateShown(g report.GateResult) string {
	if g.Error != "" {
		return g.Error
	}
	return report.FormatValue(g.Value)
}

func (l textLayout) header(vs []*report.Variant, chunk []int) string {
	names := shortNames(vs)
	s := strings.Repeat(" ", l.labelW)
	for _, i := range chunk {
		s += " " + padLeft(truncate(names[i], l.colW-1), l.colW-1) + " "
	}
	return s
}

// shortNames drops "key=" parts every variant name shares, so matrix
// variants named "strategy=path", "strategy=node" head columns as "path",
// "node". Names that do not all have the same keys are kept whole.
func shortNames(vs []*report.Variant) []string {
	out := make([]string, len(vs))
	keys := ""
	for i, v := range vs {
		var ks, vals []string
		for _, part := range strings.FieldsFunc(v.Name, func(r rune) bool { return r == ',' || r == ' ' }) {
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return names(vs)
			}
			ks = append(ks, k)
			vals = append(vals, val)
		}
		if len(ks) == 0 || (i > 0 && strings.Join(ks, ",") != keys) {
			return names(vs)
		}
		keys = strings.Join(ks, ",")
		out[i] = strings.Join(vals, ",")
	}
	return out
}

func names(vs []*report.Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}
