package render

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kbench/kbench/report"
)

// RenderComparison writes a comparison as text, markdown or json. Text and
// markdown list every compared figure of every variant.
func RenderComparison(w io.Writer, c *report.Comparison, format string) error {
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

func comparisonVerdict(c *report.Comparison) string {
	if c.Regressed() {
		return fmt.Sprintf("REGRESSED: %d gated figure(s) worse than the baseline beyond tolerance and noise floor (%s)", c.Regressions, c.Tolerance.String())
	}
	return fmt.Sprintf("OK: no gated figure worse beyond tolerance and noise floor (%s)", c.Tolerance.String())
}

// comparisonText is the section in a text report: only figures that
// regressed or improved beyond tolerance.
func comparisonText(o *errWriter, c *report.Comparison) error {
	return renderComparison(o, c, true)
}

// ComparisonChanges writes the comparison as text, listing only the
// figures that changed beyond their tolerance (as a report embeds it).
func ComparisonChanges(w io.Writer, c *report.Comparison) error {
	o := &errWriter{w: w}
	if err := comparisonText(o, c); err != nil {
		return err
	}
	return o.err
}

func renderComparison(o *errWriter, c *report.Comparison, changesOnly bool) error {
	o.line("BASELINE COMPARISON")
	for _, l := range wrap("baseline "+c.Baseline+" → current "+c.Current, textWidth-2, "  ") {
		o.line("  " + l)
	}
	for _, l := range wrap("tolerance: "+c.Tolerance.String(), textWidth-2, "  ") {
		o.line("  " + l)
	}
	common := commonMethod(c)
	if common != "" {
		for _, l := range wrap("method: "+common, textWidth-2, "  ") {
			o.line("  " + l)
		}
	}
	const labelW = 27
	for _, vc := range c.Variants {
		switch vc.Missing {
		case "current":
			o.line(fmt.Sprintf("  %s: REGRESSED: missing from the current result", vc.Name))
			continue
		case "baseline":
			o.line(fmt.Sprintf("  %s: new variant (not in the baseline)", vc.Name))
			continue
		}
		var rows []report.Delta
		for _, d := range vc.Deltas {
			if !changesOnly || d.Regression || d.Improved || d.Worse {
				rows = append(rows, d)
			}
		}
		if changesOnly && len(rows) == 0 {
			o.line("  " + vc.Name + ": no change beyond tolerance")
			continue
		}
		tested := false
		valW := 10
		for _, d := range rows {
			tested = tested || d.P != nil
			valW = max(valW, utf8.RuneCountInString(report.SideSpread(d.Base, d.BaseOK, d.BaseCI, d.Format))+2,
				utf8.RuneCountInString(report.SideSpread(d.Cur, d.CurOK, d.CurCI, d.Format))+2)
		}
		o.line("")
		if vc.Method != "" && common == "" {
			for _, l := range wrap(vc.Name+": "+vc.Method, textWidth-2, "  ") {
				o.line("  " + l)
			}
		}
		pcol := func(d report.Delta) string {
			if !tested {
				return ""
			}
			return padLeft(" "+DeltaP(d), 8)
		}
		head := "  " + padRight(truncate(vc.Name, labelW), labelW) + padLeft("baseline", valW) + padLeft("current", valW) +
			padLeft("delta", 10) + padLeft("%", 8)
		if tested {
			head += padLeft("p", 8)
		}
		o.line(head + "  status")
		for _, d := range rows {
			o.line("  " + padRight(DeltaLabel(d, labelW-1), labelW) +
				padLeft(" "+report.SideSpread(d.Base, d.BaseOK, d.BaseCI, d.Format), valW) +
				padLeft(" "+report.SideSpread(d.Cur, d.CurOK, d.CurCI, d.Format), valW) +
				padLeft(" "+DeltaChange(d), 10) + padLeft(" "+DeltaPct(d), 8) + pcol(d) + "  " + DeltaStatus(d))
		}
	}
	return o.err
}

func renderComparisonMarkdown(o *errWriter, c *report.Comparison, changesOnly bool) {
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
	if common := commonMethod(c); common != "" {
		o.printf("Method: %s.\n", mdEscape(common))
	} else {
		for _, vc := range c.Variants {
			if vc.Missing == "" && vc.Method != "" {
				o.printf("- **%s**: %s\n", mdEscape(vc.Name), mdEscape(vc.Method))
			}
		}
	}
	tested := false
	for _, vc := range c.Variants {
		for _, d := range vc.Deltas {
			tested = tested || d.P != nil
		}
	}
	pHead, pAlign := "", ""
	if tested {
		pHead, pAlign = " p |", "---:|"
	}
	for _, vc := range c.Variants {
		for _, d := range vc.Deltas {
			if changesOnly && !d.Regression && !d.Improved && !d.Worse {
				continue
			}
			if !header {
				o.printf("\n| variant | figure | baseline | current | delta | %% |%s |\n|---|---|---:|---:|---:|---:|%s---|\n", pHead, pAlign)
				header = true
			}
			st := DeltaStatus(d)
			switch {
			case d.Regression:
				st = "❌ " + st
			case d.Improved:
				st = "⬆️ " + st
			}
			p := ""
			if tested {
				p = " " + DeltaP(d) + " |"
			}
			o.printf("| %s | %s | %s | %s | %s | %s |%s %s |\n", mdEscape(vc.Name), mdEscape(DeltaLabel(d, 60)),
				report.SideSpread(d.Base, d.BaseOK, d.BaseCI, d.Format), report.SideSpread(d.Cur, d.CurOK, d.CurCI, d.Format),
				DeltaChange(d), DeltaPct(d), p, mdEscape(st))
		}
	}
	if changesOnly && !header {
		o.printf("\nNo figure changed beyond tolerance.\n")
	}
	o.printf("\n")
}

// commonMethod is the method of every compared variant when they share
// one ("" otherwise), so it is said once.
func commonMethod(c *report.Comparison) string {
	m := ""
	for _, vc := range c.Variants {
		if vc.Missing != "" {
			continue
		}
		if m != "" && vc.Method != m {
			return ""
		}
		m = vc.Method
	}
	return m
}

// label names the figure within width runes, shortening a group name
// rather than the figure.
func DeltaLabel(d report.Delta, width int) string {
	if d.Group == "" {
		return truncate(d.Label, width)
	}
	room := width - len(d.Label) - 1
	if room < 4 {
		return truncate(d.Group+" "+d.Label, width)
	}
	return truncate(d.Group, room) + " " + d.Label
}

// Figure formatting for comparisons.
func DeltaChange(d report.Delta) string {
	if !d.BaseOK || !d.CurOK {
		return "-"
	}
	s := report.FormatFigure(math.Abs(d.Abs), d.Format)
	switch {
	case d.Abs > 0:
		s = "+" + s
	case d.Abs < 0:
		s = "-" + s
	}
	return s
}

func DeltaPct(d report.Delta) string {
	if d.Pct == nil {
		// A zero baseline without a noise floor (lost 0 -> 3): the
		// figure is new; within a floor of zero: no percentage.
		if d.BaseOK && d.CurOK && d.Abs != 0 && d.Base == 0 && d.Floor == 0 {
			return "new"
		}
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", *d.Pct)
}

func DeltaStatus(d report.Delta) string {
	switch {
	case d.Regression && d.Note != "":
		return "REGRESSED (" + d.Note + ")"
	case d.Regression:
		return "REGRESSED"
	case d.Worse:
		return "worse (not gated)"
	case d.Improved:
		return "improved"
	case d.Better == report.Neutral:
		return ""
	case d.Note != "":
		return d.Note
	case d.NotSignificant:
		return "~"
	}
	return "ok"
}

// fmtP is the p-value column: "-" when the runs were not tested.
func DeltaP(d report.Delta) string {
	if d.P == nil {
		return "-"
	}
	if *d.P < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(*d.P, 'f', 3, 64)
}
