package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// RenderComparison writes a comparison as text, markdown or json. Text and
// markdown list every compared figure of every variant.
func RenderComparison(w io.Writer, c *Comparison, format string) error {
	switch strings.ToLower(format) {
	case "text", "txt", "":
		o := &errWriter{w: w}
		if err := renderComparison(o, c, false); err != nil {
			return err
		}
		o.line("")
		o.line(comparisonVerdict(c))
		return o.err
	case "markdown", "md":
		o := &errWriter{w: w}
		renderComparisonMarkdown(o, c, false)
		return o.err
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	return fmt.Errorf("unknown comparison format %q (want text, markdown or json)", format)
}

func comparisonVerdict(c *Comparison) string {
	if c.Regressed() {
		return fmt.Sprintf("REGRESSED: %d figure(s) worse than the baseline beyond tolerance (%s)", c.Regressions, c.Tolerance.String())
	}
	return fmt.Sprintf("OK: no regression beyond tolerance (%s)", c.Tolerance.String())
}

// renderComparisonText is the section in a text report: only figures that
// regressed or improved beyond tolerance.
func renderComparisonText(o *errWriter, c *Comparison) error {
	return renderComparison(o, c, true)
}

func renderComparison(o *errWriter, c *Comparison, changesOnly bool) error {
	o.line("BASELINE COMPARISON")
	for _, l := range wrap("baseline "+c.Baseline+" → current "+c.Current, textWidth-2, "  ") {
		o.line("  " + l)
	}
	for _, l := range wrap("tolerance: "+c.Tolerance.String(), textWidth-2, "  ") {
		o.line("  " + l)
	}
	const labelW, valW = 27, 10
	for _, vc := range c.Variants {
		switch vc.Missing {
		case "current":
			o.line(fmt.Sprintf("  %s: REGRESSED: missing from the current result", vc.Name))
			continue
		case "baseline":
			o.line(fmt.Sprintf("  %s: new variant (not in the baseline)", vc.Name))
			continue
		}
		var rows []Delta
		for _, d := range vc.Deltas {
			if !changesOnly || d.Regression || d.Improved {
				rows = append(rows, d)
			}
		}
		if changesOnly && len(rows) == 0 {
			o.line("  " + vc.Name + ": no change beyond tolerance")
			continue
		}
		o.line("")
		o.line("  " + padRight(truncate(vc.Name, labelW), labelW) + padLeft("baseline", valW) + padLeft("current", valW) +
			padLeft("delta", valW) + padLeft("%", 8) + "  status")
		for _, d := range rows {
			o.line("  " + padRight(d.label(labelW-1), labelW) +
				padLeft(sideValue(d.Base, d.BaseOK, d.format), valW) +
				padLeft(sideValue(d.Cur, d.CurOK, d.format), valW) +
				padLeft(d.fmtDelta(), valW) + padLeft(d.fmtPct(), 8) + "  " + d.status())
		}
	}
	return o.err
}

func renderComparisonMarkdown(o *errWriter, c *Comparison, changesOnly bool) {
	icon := "✅"
	if c.Regressed() {
		icon = "❌"
	}
	o.printf("### %s Baseline comparison\n\n", icon)
	o.printf("%s\n\nBaseline %s → current %s.\n\n", mdEscape(comparisonVerdict(c)), mdEscape(c.Baseline), mdEscape(c.Current))
	header := false
	for _, vc := range c.Variants {
		if vc.Missing != "" {
			what := "❌ missing from the current result"
			if vc.Missing == "baseline" {
				what = "new variant (not in the baseline)"
			}
			o.printf("- **%s**: %s\n", mdEscape(vc.Name), what)
		}
	}
	for _, vc := range c.Variants {
		for _, d := range vc.Deltas {
			if changesOnly && !d.Regression && !d.Improved {
				continue
			}
			if !header {
				o.printf("\n| variant | figure | baseline | current | delta | %% | |\n|---|---|---:|---:|---:|---:|---|\n")
				header = true
			}
			st := d.status()
			switch {
			case d.Regression:
				st = "❌ " + st
			case d.Improved:
				st = "⬆️ " + st
			}
			o.printf("| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(vc.Name), mdEscape(d.label(60)),
				sideValue(d.Base, d.BaseOK, d.format), sideValue(d.Cur, d.CurOK, d.format), d.fmtDelta(), d.fmtPct(), st)
		}
	}
	if changesOnly && !header {
		o.printf("\nNo figure changed beyond tolerance.\n")
	}
	o.printf("\n")
}
