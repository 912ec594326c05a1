package verdict_test

import (
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

func searchResult(maxRate *float64) *report.Result {
	return &report.Result{Complete: true, Variants: []report.Variant{{
		Name:   "v",
		Search: &report.Search{MaxSustainableMsgsPerS: maxRate, LimitedBy: "lag growing: group g", Probes: []report.Probe{{Rate: 100, Passed: true}}},
	}}}
}

// TestSearchFigure: a gate can use the search's answer (failing when no
// probe passed), and compare counts a lower answer as a regression and a
// higher one as an improvement.
func TestSearchFigure(t *testing.T) {
	g, err := verdict.ParseGate("search.max_sustainable_msgs_per_s >= 250")
	if err != nil {
		t.Fatal(err)
	}
	if r := g.Eval(&searchResult(report.Float(300)).Variants[0]); !r.Pass || r.Value != 300 {
		t.Errorf("300 >= 250: %+v", r)
	}
	if r := g.Eval(&searchResult(report.Float(200)).Variants[0]); r.Pass {
		t.Errorf("200 >= 250 passed: %+v", r)
	}
	if r := g.Eval(&searchResult(nil).Variants[0]); r.Pass || r.Error == "" {
		t.Errorf("no answer: %+v, want not measured", r)
	}
	const path = "search.max_sustainable_msgs_per_s"
	c := verdict.Compare(searchResult(report.Float(300)), searchResult(report.Float(200)), report.DefaultTolerance)
	if d := findDelta(t, c, "v", path); !d.Regression || d.Better != report.HigherBetter {
		t.Errorf("300 -> 200: %+v, want a regression", d)
	}
	c = verdict.Compare(searchResult(report.Float(200)), searchResult(report.Float(300)), report.DefaultTolerance)
	if d := findDelta(t, c, "v", path); d.Regression || !d.Improved {
		t.Errorf("200 -> 300: %+v, want an improvement", d)
	}
}
