package verdict_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
)

// A result written before "not measured" was null spelled it -1: it loads
// with that meaning, so gates fail and compare reports it.
func TestLegacyMinusOneLoadsAsNotMeasured(t *testing.T) {
	legacy := `{"schema": "kbench/result/v1", "experiment": "old", "complete": false,
 "variants": [{"name": "v", "duration_s": 2,
   "produce": {"messages": 10},
   "partitions": [{"partition": 0, "messages": 10, "bytes": 100, "broker_messages": -1}],
   "consume": {"groups": [{"group": "g", "messages": 10, "lag": {"max": 1, "final": 0, "drain_ms": -1},
      "failover_ms": -1, "delivery": {"lost": -1, "duplicated": 0, "reordered": 0}},
     {"group": "h", "messages": 10, "lag": {"max": 1, "final": 0, "drain_ms": 12}, "failover_ms": 0,
      "delivery": {"lost": 0, "duplicated": 0, "reordered": 0}}]},
   "faults": [{"kind": "consumer-crash", "group": "g", "instance": 0, "at_s": 1, "failover_ms": -1}],
   "delivery": {"lost": -1, "duplicated": 0, "reordered": 0}}]}`
	p := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(p, []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := report.ReadResult(p)
	if err != nil {
		t.Fatal(err)
	}
	v := &r.Variants[0]
	g, h := v.Consume.Groups[0], v.Consume.Groups[1]
	if v.Delivery.Lost != nil || g.Delivery.Lost != nil || g.Lag.DrainMs != nil || g.FailoverMs != nil ||
		v.Faults[0].FailoverMs != nil || v.Partitions[0].BrokerMessages != nil {
		t.Fatalf("-1 read as a number: %+v", v)
	}
	// A group without a consumer fault had "0": it never failed over.
	if h.FailoverMs != nil || h.Lag.DrainMs == nil || *h.Lag.DrainMs != 12 || h.Delivery.Lost == nil {
		t.Fatalf("group h: %+v", h)
	}
	for _, expr := range []string{"consume.groups.g.failover_ms < 5000", "delivery.lost == 0", "partitions.0.broker_messages >= 0"} {
		gt, err := verdict.ParseGate(expr)
		if err != nil {
			t.Fatal(err)
		}
		if res := gt.Eval(v); res.Pass || !strings.Contains(res.Error, "not measured") {
			t.Errorf("%s on a -1: %+v", expr, res)
		}
	}
}

// TestCompareNotMeasured: a figure the baseline measured and the current
// run did not is a regression, never an improvement; it is shown as "-"
// and never marked best.
func TestCompareNotMeasured(t *testing.T) {
	mk := func(failover *float64) *report.Result {
		return &report.Result{Schema: report.Schema, Complete: true, Variants: []report.Variant{{Name: "v", DurationS: 1,
			Consume: report.Consume{Groups: []report.Group{{Group: "g", FailoverMs: failover}}}}}}
	}
	c := verdict.Compare(mk(report.Float(3000)), mk(nil), report.DefaultTolerance)
	var d *report.Delta
	for i := range c.Variants[0].Deltas {
		if c.Variants[0].Deltas[i].Path == "consume.groups.g.failover_ms" {
			d = &c.Variants[0].Deltas[i]
		}
	}
	if d == nil || !d.Regression || d.Improved || d.CurOK || !c.Regressed() {
		t.Fatalf("failover 3000 ms -> not measured: %+v", d)
	}
	if render.DeltaChange(*d) != "-" || render.DeltaPct(*d) != "-" {
		t.Errorf("delta shown as %q %q", render.DeltaChange(*d), render.DeltaPct(*d))
	}
	// "best" ignores what was not measured.
	a, b := mk(report.Float(3000)).Variants[0], mk(nil).Variants[0]
	b.Name = "w"
	cells := render.FigureRow(report.Figure{Path: "consume.groups.g.failover_ms", Better: report.LowerBetter, Format: "ms"}, []*report.Variant{&a, &b})
	if cells[1].Text != "-" || cells[1].Best {
		t.Errorf("cells %+v", cells)
	}
}

// keys.remap_share is gateable when the topic grows.
func TestRemapShareGate(t *testing.T) {
	v := &report.Variant{Name: "v", Keys: report.Keys{Distinct: 10, RemapShare: &report.RemapShare{From: 6, To: 8, Keys: 0.25, Traffic: 0.3}}}
	g, err := verdict.ParseGate("keys.remap_share.keys <= 0.3")
	if err != nil {
		t.Fatal(err)
	}
	if res := g.Eval(v); !res.Pass || res.Value != 0.25 {
		t.Fatalf("%+v", res)
	}
}
