package render_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
)

// TestRenderSearch: text and Markdown show each searched variant's answer
// and one row per probe, a client-limited limit in words, and "-" for an
// answer that was not found.
func TestRenderSearch(t *testing.T) {
	r := &report.Result{Experiment: "cap", Complete: true, Passed: true, Variants: []report.Variant{
		{Name: "random", Search: &report.Search{
			MaxSustainableMsgsPerS: report.Float(275), LimitedBy: "lag growing: group g +10±1 msg/s", Confirmed: true,
			Probes: []report.Probe{
				{Rate: 150, Passed: true, AchievedMsgsPerS: 150, LatencyP99Ms: report.Float(4.2), LagGrowthPerS: report.Float(0.1), LagGrowthCI: report.Float(0.4), Lag: []int64{1, 2, 1}},
				{Rate: 300, Reason: "lag growing: group g +10±1 msg/s", AchievedMsgsPerS: 300, LagGrowthPerS: report.Float(9.9), LagGrowthCI: report.Float(1.1), Lag: []int64{10, 20, 30}},
				{Rate: 275.1, Passed: true, AchievedMsgsPerS: 275, Confirm: true},
			}}},
		{Name: "client", Search: &report.Search{
			LimitedBy: "client-limited: achieved 10 of 16 msg/s", ClientLimited: true,
			Probes: []report.Probe{{Rate: 16, ClientLimited: true, Reason: "client-limited: achieved 10 of 16 msg/s", AchievedMsgsPerS: 10}},
		}},
	}}
	var txt, md bytes.Buffer
	if err := render.RenderText(&txt, r); err != nil {
		t.Fatal(err)
	}
	if err := render.RenderMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CAPACITY SEARCH",
		"max sustainable: 275 msg/s (confirmed) · limited by lag growing: group g",
		"max sustainable: - (no probe passed)",
		"the load generator, not the setup",
		"275.1",
		"+9.9±1.1",
		"FAIL",
		"confirm",
	} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
	for _, want := range []string{"### Capacity search", "| 2 | 300 | 300 |", "max sustainable msg/s"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	for _, l := range strings.Split(txt.String(), "\n") {
		if n := len([]rune(l)); n > 80 && strings.Contains(l, "msg/s") {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}
