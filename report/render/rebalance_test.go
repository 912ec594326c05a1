package render_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
)

// The text report lists each rebalance of a group that rebalanced, and
// nothing for a group that did not.
func TestTextRebalances(t *testing.T) {
	r := &report.Result{Variants: []report.Variant{{Name: "eager", Consume: report.Consume{Groups: []report.Group{
		{Group: "calm", RebalancePauseMs: report.Float(0)},
		{Group: "stormy", Rebalances: 2, RebalancePauseMs: report.Float(4570), MaxPollEvictions: 5,
			RebalanceLog: []report.Rebalance{
				{AtS: 4.841, DurationMs: 1570, PartitionsMoved: 3, PauseMs: 4540},
				{AtS: 9.9, DurationMs: 30, PartitionsMoved: 1, PauseMs: 30, Unfinished: true},
			}},
	}}}}}
	var txt bytes.Buffer
	if err := render.RenderText(&txt, r); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	for _, want := range []string{
		"REBALANCES eager",
		"group stormy: pause 4,570 partition-ms, 5 max-poll eviction(s)",
		"     4.8s      1570 ms    3 moved  pause     4540 ms",
		"(unfinished at the end)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "group calm:") {
		t.Errorf("a group without rebalances is listed:\n%s", out)
	}
}
