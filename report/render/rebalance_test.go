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
				{AtS: 9.9, DurationMs: 30, PartitionsMoved: 1, PartitionsAdded: 3, PauseMs: 30, Cause: "repartition", Unfinished: true},
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
		"pause       30 ms  (repartition)  3 added  (unfinished at the end)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "group calm:") {
		t.Errorf("a group without rebalances is listed:\n%s", out)
	}
}

// stormyResult has one group that rebalanced (the second rebalance took up
// partitions the topic gained, and was still running at the end) and one
// that did not.
func stormyResult() *report.Result {
	return &report.Result{Variants: []report.Variant{{Name: "eager", Consume: report.Consume{Groups: []report.Group{
		{Group: "calm", RebalancePauseMs: report.Float(0)},
		{Group: "stormy", Rebalances: 2, RebalancePauseMs: report.Float(4570),
			RebalanceLog: []report.Rebalance{
				{AtS: 4.841, DurationMs: 1570, PartitionsMoved: 3, PauseMs: 4540},
				{AtS: 9.9, DurationMs: 30, PartitionsMoved: 1, PartitionsAdded: 3, PauseMs: 30, Cause: "repartition", Unfinished: true},
			}},
	}}}}}
}

// The Markdown report has a table per group that rebalanced: one row per
// rebalance, cause "-" when none was recorded.
func TestMarkdownRebalances(t *testing.T) {
	var md bytes.Buffer
	if err := render.RenderMarkdown(&md, stormyResult()); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{
		"### Rebalances",
		"**eager** · group `stormy`: 2 rebalance(s), pause 4,570 partition-ms",
		"| started at s | duration ms | partitions moved | partitions added | pause ms | cause |",
		"| 4.841 | 1,570 | 3 | 0 | 4,540 | - |",
		"| 9.900 | 30.00 (unfinished) | 1 | 3 | 30.00 | repartition |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "group `calm`") {
		t.Errorf("a group without rebalances is listed:\n%s", out)
	}
	md.Reset()
	r := stormyResult()
	r.Variants[0].Consume.Groups[1].RebalanceLog = nil
	if err := render.RenderMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "### Rebalances") {
		t.Errorf("a rebalances section without any rebalance_log:\n%s", md.String())
	}
}
