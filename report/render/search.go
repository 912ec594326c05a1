package render

import (
	"fmt"
	"strings"

	"github.com/kbench/kbench/report"
)

// searchRow is one probe as the text and Markdown tables show it.
type searchRow struct {
	n, rate, achieved, p99, sendP99, e2eP99, growth, lag, result string
}

var searchHead = searchRow{"#", "rate", "achieved", "p99 ms", "send p99", "e2e p99", "lag growth", "lag", "result"}

func probeRow(i int, p report.Probe, lagMax float64) searchRow {
	ms := func(x *float64) string {
		if x == nil {
			return "-"
		}
		return report.FormatFigure(*x, "ms")
	}
	growth := "-"
	if p.LagGrowthPerS != nil && p.LagGrowthCI != nil {
		growth = fmt.Sprintf("%+.1f±%.1f", *p.LagGrowthPerS, *p.LagGrowthCI)
	}
	lag := make([]float64, len(p.Lag))
	for j, l := range p.Lag {
		lag[j] = float64(l)
	}
	result := "pass"
	if !p.Passed {
		result = "FAIL " + p.Reason
	}
	if p.Confirm {
		result = "confirm: " + result
	}
	return searchRow{
		n: fmt.Sprint(i + 1), rate: rateFigure(p.Rate),
		achieved: report.FormatFigure(p.AchievedMsgsPerS, "int"),
		p99:      ms(p.LatencyP99Ms), sendP99: ms(p.SendDelayP99Ms), e2eP99: ms(p.E2EP99Ms),
		growth: growth, lag: sparkline(downsample(lag, 12), lagMax), result: result,
	}
}

// searchAnswer is the one-line answer of a variant's search.
func searchAnswer(s *report.Search) string {
	ans := "max sustainable: - (no probe passed)"
	if s.MaxSustainableMsgsPerS != nil {
		ans = "max sustainable: " + report.FormatFigure(*s.MaxSustainableMsgsPerS, "int") + " msg/s"
		if s.Confirmed {
			ans += " (confirmed)"
		} else {
			ans += " (not confirmed)"
		}
	}
	ans += " · limited by " + s.LimitedBy
	if s.ClientLimited {
		ans += " (the load generator, not the setup: the setup sustains at least this)"
	}
	return ans
}

// probeLagMax is the largest lag of any probe of s, the sparklines' scale.
func probeLagMax(s *report.Search) float64 {
	var m float64
	for _, p := range s.Probes {
		for _, l := range p.Lag {
			m = max(m, float64(l))
		}
	}
	return m
}

// textSearch is each searched variant's answer and its probe table: the
// throughput-latency curve in rows.
func textSearch(o *errWriter, vs []*report.Variant) {
	first := true
	for _, v := range vs {
		s := v.Search
		if s == nil {
			continue
		}
		if first {
			o.line("")
			o.line("CAPACITY SEARCH (probes in the order run; lag growth: msg/s, 95% CI)")
			first = false
		}
		o.line("  " + v.Name)
		for _, l := range wrap(searchAnswer(s), textWidth-4, "    ") {
			o.line("    " + strings.TrimLeft(l, " "))
		}
		lagMax := probeLagMax(s)
		row := func(r searchRow, result string) {
			o.line(fmt.Sprintf("    %2s %7s %8s %7s %8s %11s  %-12s %s", r.n, r.rate, r.achieved, r.p99, r.sendP99, r.growth, r.lag, result))
		}
		row(searchHead, searchHead.result)
		for i, p := range s.Probes {
			r := probeRow(i, p, lagMax)
			// The verdict fits the row; the reasons go below it.
			verdict, why, _ := strings.Cut(r.result, " ")
			if p.Confirm {
				verdict, why = "confirm", r.result[len("confirm: "):]
			}
			row(r, verdict)
			if why != "" && why != "pass" {
				for _, l := range wrap(why, textWidth-8, "") {
					o.line("       " + l)
				}
			}
		}
	}
}

// mdSearch is textSearch as Markdown.
func mdSearch(o *errWriter, vs []*report.Variant) {
	first := true
	for _, v := range vs {
		s := v.Search
		if s == nil {
			continue
		}
		if first {
			o.printf("### Capacity search\n\n")
			first = false
		}
		o.printf("**%s**: %s\n\n", mdEscape(v.Name), mdEscape(searchAnswer(s)))
		h := searchHead
		o.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n|---:|---:|---:|---:|---:|---:|---:|---|---|\n",
			h.n, h.rate, h.achieved, h.p99, h.sendP99, h.e2eP99, "lag growth msg/s", h.lag, h.result)
		lagMax := probeLagMax(s)
		for i, p := range s.Probes {
			r := probeRow(i, p, lagMax)
			o.printf("| %s | %s | %s | %s | %s | %s | %s | `%s` | %s |\n",
				r.n, r.rate, r.achieved, r.p99, r.sendP99, r.e2eP99, r.growth, r.lag, mdEscape(r.result))
		}
		o.printf("\n")
	}
}

// rateFigure shows a probe's rate as it was set: whole or to 0.1 msg/s.
func rateFigure(r float64) string {
	if r == float64(int64(r)) {
		return report.FormatFigure(r, "int")
	}
	return report.FormatFigure(r, "f1")
}
