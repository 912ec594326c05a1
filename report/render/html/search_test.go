package html

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
)

// TestHTMLSearchCharts: a searched variant gets the throughput-latency
// curve and a lag chart of its probes; a result without a search gets
// neither.
func TestHTMLSearchCharts(t *testing.T) {
	probe := func(rate, p99 float64, passed bool, lag ...int64) report.Probe {
		return report.Probe{Rate: rate, AchievedMsgsPerS: rate, Passed: passed, LatencyP99Ms: report.Float(p99), Lag: lag}
	}
	r := &report.Result{Experiment: "cap", Complete: true, Variants: []report.Variant{{Name: "random", Search: &report.Search{
		MaxSustainableMsgsPerS: report.Float(200), Probes: []report.Probe{
			probe(100, 3, true, 0, 1, 0), probe(400, 90, false, 10, 200, 400), probe(200, 5, true, 1, 2, 1),
		}}}, {Name: "plain"}}}
	var buf bytes.Buffer
	if err := RenderHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Capacity search: the throughput-latency curve", "Lag of each probe: random", "400 msg/s fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(out, "Lag of each probe: plain") {
		t.Error("a variant without a search has a probe chart")
	}
}
