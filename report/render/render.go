// Package render writes a result for people and tools: text (the
// terminal report), Markdown (CI summaries), CSV and JSON, the baseline
// comparison, and the live progress line. The HTML report is its own
// package (render/html) because it links a plotting library.
package render

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

// Formats lists the formats Render accepts. HTML, which links a plotting
// library, is its own package (render/html); a command offers both.
var Formats = []string{"text", "json", "csv", "markdown"}

// Render writes r in one format: text, json, csv or markdown.
func Render(w io.Writer, r *report.Result, format string) error {
	switch strings.ToLower(format) {
	case "text", "txt", "":
		return RenderText(w, r)
	case "json":
		return RenderJSON(w, r)
	case "csv":
		return RenderCSV(w, r)
	case "markdown", "md":
		return RenderMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// RenderJSON writes result.json: the Result, indented.
func RenderJSON(w io.Writer, r *report.Result) error { return report.WriteJSON(w, r) }

// Cell is one formatted figure of one variant.
type Cell struct {
	Text string
	Best bool
	OK   bool
}

// FigureRow evaluates one figure over the variants and marks the best.
func FigureRow(f report.Figure, vs []*report.Variant) []Cell {
	cells := make([]Cell, len(vs))
	vals := make([]float64, len(vs))
	n := 0
	for i, v := range vs {
		x, err := report.Lookup(v, f.Path)
		if err != nil {
			cells[i] = Cell{Text: "-"}
			continue
		}
		vals[i] = x
		// Repeated runs: the median with its spread ("8.140 ±0.6").
		var ci *report.CI
		if fr := v.Runs(f.Path); fr != nil {
			ci = fr.CI
		}
		cells[i] = Cell{Text: report.SideSpread(x, true, ci, f.Format), OK: true}
		n++
	}
	if f.Better == report.Neutral || n < 2 {
		return cells
	}
	best, worst := math.NaN(), math.NaN()
	for i, c := range cells {
		if !c.OK {
			continue
		}
		x := vals[i]
		if f.Better == report.LowerBetter {
			x = -x
		}
		if math.IsNaN(best) || x > best {
			best = x
		}
		if math.IsNaN(worst) || x < worst {
			worst = x
		}
	}
	if best == worst {
		return cells // all equal: nothing to mark
	}
	// Mark every variant whose shown value equals the best shown value, so
	// rounding never singles out one of several equal-looking numbers.
	bestText := ""
	for i := range cells {
		x := vals[i]
		if f.Better == report.LowerBetter {
			x = -x
		}
		if cells[i].OK && x == best {
			bestText = cells[i].Text
		}
	}
	marked := 0
	for i := range cells {
		if cells[i].OK && cells[i].Text == bestText {
			cells[i].Best = true
			marked++
		}
	}
	if marked == n {
		for i := range cells {
			cells[i].Best = false
		}
	}
	return cells
}

func VariantPtrs(r *report.Result) []*report.Variant {
	vs := make([]*report.Variant, len(r.Variants))
	for i := range r.Variants {
		vs[i] = &r.Variants[i]
	}
	return vs
}

// Sections groups figures by Section, keeping order.
func Sections(fs []report.Figure) (names []string, by map[string][]report.Figure) {
	by = map[string][]report.Figure{}
	for _, f := range fs {
		if _, ok := by[f.Section]; !ok {
			names = append(names, f.Section)
		}
		by[f.Section] = append(by[f.Section], f)
	}
	return names, by
}

func SectionTitle(s string) string {
	switch s {
	case "produce":
		return "Produce"
	case "e2e":
		return "End-to-end"
	case "skew":
		return "Partition skew"
	case "keys":
		return "Keys"
	case "delivery":
		return "Delivery"
	case "search":
		return "Capacity search"
	}
	if g, ok := strings.CutPrefix(s, "group "); ok {
		return "Consumer group " + g
	}
	return s
}

// SectionHasData reports whether any variant measured any figure of fs.
func SectionHasData(fs []report.Figure, vs []*report.Variant) bool {
	for _, f := range fs {
		for _, v := range vs {
			if _, err := report.Lookup(v, f.Path); err == nil {
				return true
			}
		}
	}
	return false
}

func sortedParams(p map[string]string) string {
	ks := make([]string, 0, len(p))
	for k := range p {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, k+"="+p[k])
	}
	return strings.Join(parts, " ")
}

func configParts(c report.VariantConfig) []string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if c.Strategy != "" {
		add("keying " + c.Strategy)
	}
	add(c.Partitioner)
	if c.Partitions > 0 {
		add(fmt.Sprintf("%d partitions", c.Partitions))
	}
	if c.Acks != "" {
		add("acks=" + c.Acks)
	}
	if c.BatchSize > 0 {
		add(fmt.Sprintf("batch %d", c.BatchSize))
	}
	if c.Linger != "" {
		add("linger " + c.Linger)
	}
	if c.Compression != "" {
		if c.Compression != "" {
			add("compression " + c.Compression)
		}
	}
	if c.Producers > 0 {
		add(fmt.Sprintf("%d producers", c.Producers))
	}
	if c.MessageSize > 0 {
		add(fmt.Sprintf("%d B messages", c.MessageSize))
	}
	switch {
	case c.TargetRate > 0 && c.Shape != "" && c.Shape != "constant":
		add(c.Shape + " shape, mean " + report.FormatFigure(c.TargetRate, "int") + " msg/s target")
	case c.TargetRate > 0:
		add(report.FormatFigure(c.TargetRate, "int") + " msg/s target")
	default:
		add("unthrottled")
	}
	add(c.Driver)
	return parts
}

// SplitConfig separates the settings every variant shares from each
// variant's own.
func SplitConfig(vs []*report.Variant) (common []string, own [][]string) {
	count := map[string]int{}
	all := make([][]string, len(vs))
	for i, v := range vs {
		all[i] = configParts(v.Config)
		if n := verdict.RunCount(v); n > 1 {
			all[i] = append(all[i], fmt.Sprintf("median of %d runs (± to the farther bound of its confidence interval)", n))
		}
		for _, p := range all[i] {
			count[p]++
		}
	}
	own = make([][]string, len(vs))
	for i := range vs {
		for _, p := range all[i] {
			if count[p] == len(vs) && len(vs) > 1 {
				if i == 0 {
					common = append(common, p)
				}
				continue
			}
			own[i] = append(own[i], p)
		}
	}
	return common, own
}

func Status(r *report.Result) string {
	switch {
	case !r.Complete && r.Error != "":
		return "incomplete: " + r.Error
	case !r.Complete:
		return "incomplete"
	}
	return "complete"
}

// sparkline maps values to ▁..█ against max (values above max clip).
func sparkline(vals []float64, max float64) string {
	const ticks = "▁▂▃▄▅▆▇█"
	var b strings.Builder
	for _, x := range vals {
		i := 0
		if max > 0 && x > 0 {
			i = int(math.Ceil(x / max * 7))
			if i > 7 {
				i = 7
			}
		}
		b.WriteString(string([]rune(ticks)[i]))
	}
	return b.String()
}

// downsample keeps at most n points, taking each bucket's maximum.
func downsample(vals []float64, n int) []float64 {
	if len(vals) <= n {
		return vals
	}
	out := make([]float64, n)
	for i := range out {
		lo, hi := i*len(vals)/n, (i+1)*len(vals)/n
		m := vals[lo]
		for _, x := range vals[lo:hi] {
			m = math.Max(m, x)
		}
		out[i] = m
	}
	return out
}

// hbar draws x/max as a bar of width runes with eighth blocks.
func hbar(x, max float64, width int) string {
	if max <= 0 || x <= 0 {
		return "·"
	}
	eighths := int(math.Round(x / max * float64(width*8)))
	if eighths < 1 {
		eighths = 1
	}
	full, rem := eighths/8, eighths%8
	s := strings.Repeat("█", full)
	if rem > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[rem-1])
	}
	return s
}

// series extracts per-second lag and acked-rate from the time series.
func LagSeries(v *report.Variant) []float64 {
	out := make([]float64, len(v.Timeseries))
	for i, s := range v.Timeseries {
		out[i] = float64(s.Lag)
	}
	return out
}

func RateSeries(v *report.Variant) []float64 {
	out := make([]float64, len(v.Timeseries))
	var prevT float64
	var prev int64
	for i, s := range v.Timeseries {
		dt := s.T - prevT
		if dt > 0 {
			out[i] = float64(s.Acked-prev) / dt
		}
		prevT, prev = s.T, s.Acked
	}
	return out
}

func maxOf(vals []float64) float64 {
	m := 0.0
	for _, x := range vals {
		m = math.Max(m, x)
	}
	return m
}

func padRight(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func padLeft(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}

// truncate shortens s to w runes with an ellipsis.
func truncate(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 1 {
		return string([]rune(s)[:w])
	}
	return string([]rune(s)[:w-1]) + "…"
}

// wrap breaks text into lines of at most width runes, indenting follow-ups.
func wrap(text string, width int, indent string) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width:
			lines = append(lines, line)
			line = indent + word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
