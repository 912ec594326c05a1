package runner_test

import (
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

// TestBacklogIsNotLoss: consumers slower than the producers (two members
// at 2 ms a message against 3000 msg/s) cannot drain in a 1 s drain. What
// they have not processed is still in the topic: a backlog, reported as
// unconsumed, not as lost, and the group says it did not drain.
func TestBacklogIsNotLoss(t *testing.T) {
	v := runOne(t, `
name: clean
duration: 2s
drain: 1s
topic: {partitions: 4}
workload: {rate: 3000, keying: {strategy: service}}
consumers: [{group: g, instances: 2, commit: after-process, processing: {delay: 2ms}}]
`)
	g := v.Consume.Groups[0]
	d := g.Delivery
	t.Logf("produced %d, consumed %d, lag final %d, delivery lost %d unconsumed %d, drained %v",
		v.Produce.Messages, g.Messages, g.Lag.Final, val(d.Lost), val(d.Unconsumed), g.Drained)
	if val(d.Lost) != 0 {
		t.Errorf("lost %d: nothing was lost, the messages are still in the topic", val(d.Lost))
	}
	if val(d.Unconsumed) < 1000 {
		t.Errorf("unconsumed %d: the backlog is not reported", val(d.Unconsumed))
	}
	// Nothing was written without an acknowledgement, and the members
	// commit what they processed when they stop: the backlog is exactly
	// the lag left.
	if val(d.Unconsumed) != g.Lag.Final {
		t.Errorf("unconsumed %d, final lag %d: want equal", val(d.Unconsumed), g.Lag.Final)
	}
	if g.Drained == nil || *g.Drained || g.Lag.DrainMs != nil {
		t.Errorf("drained %v, drain ms %v: want false and null", g.Drained, g.Lag.DrainMs)
	}
	if val(v.Delivery.Unconsumed) != val(d.Unconsumed) || val(v.Delivery.Lost) != 0 {
		t.Errorf("variant delivery lost %d unconsumed %d", val(v.Delivery.Lost), val(v.Delivery.Unconsumed))
	}
	notes := strings.Join(verdict.Notes(&report.Result{Variants: []report.Variant{*v}}), "\n")
	if !strings.Contains(notes, "group g did not drain within 1s") || !strings.Contains(notes, "unconsumed") {
		t.Errorf("the verdict does not say it: %q", notes)
	}
}

// TestDrainPerGroup: a fast and a slow group each report their own drain
// time, from when the producers stopped sending.
func TestDrainPerGroup(t *testing.T) {
	v := runOne(t, `
name: two-speeds
duration: 1s
drain: 20s
topic: {partitions: 2}
workload: {rate: 1000, message: {size: 100}}
consumers:
  - {group: fast, instances: 1}
  - {group: slow, instances: 1, processing: {delay: 2ms}}
`)
	fast, slow := v.Consume.Groups[0], v.Consume.Groups[1]
	t.Logf("fast drain %v ms, slow drain %v ms", valF(fast.Lag.DrainMs), valF(slow.Lag.DrainMs))
	if fast.Drained == nil || !*fast.Drained || slow.Drained == nil || !*slow.Drained {
		t.Fatalf("drained: fast %v slow %v", fast.Drained, slow.Drained)
	}
	// The slow group works ~1000 messages at 2 ms after the end: about
	// 2 s behind the fast one, which keeps up.
	if valF(fast.Lag.DrainMs) < 0 || valF(slow.Lag.DrainMs)-valF(fast.Lag.DrainMs) < 500 {
		t.Errorf("fast %v ms, slow %v ms: the fast group reports the slow group's drain", valF(fast.Lag.DrainMs), valF(slow.Lag.DrainMs))
	}
	if val(fast.Delivery.Lost) != 0 || val(slow.Delivery.Lost) != 0 || val(slow.Delivery.Unconsumed) != 0 {
		t.Errorf("delivery fast %+v slow %+v", fast.Delivery, slow.Delivery)
	}
}

// TestRandomKeysListNoHotKey: with a fresh key per message no key stands
// out of the hot-key sketch's error, and none is listed.
func TestRandomKeysListNoHotKey(t *testing.T) {
	v := runOne(t, `
name: random
duration: 2s
topic: {partitions: 6}
workload: {rate: 5000, keying: {strategy: random}}
consumers: []
`)
	if len(v.Keys.Top) != 0 {
		t.Errorf("random keys listed as hot: %+v (sketch error %d)", v.Keys.Top, v.Keys.TopError)
	}
	if v.Keys.Distinct < 5000 {
		t.Errorf("distinct %d", v.Keys.Distinct)
	}
}

// TestNamesWhatWasTouched: the result names the topic and group ids a run
// used, so a kept topic can be found.
func TestNamesWhatWasTouched(t *testing.T) {
	v := runOne(t, `
name: named
duration: 500ms
topic: {name: orders, partitions: 2, keep: true}
workload: {rate: 200}
consumers: [{group: g, instances: 1}]
`)
	if !strings.HasPrefix(v.Topic, "orders-") {
		t.Errorf("topic %q", v.Topic)
	}
	if id := v.Consume.Groups[0].ID; !strings.HasPrefix(id, "g-") || id == "g" {
		t.Errorf("group id %q", id)
	}
}

// TestShapedTarget: a ramp's target is its scheduled mean rate, and the
// header names the shape (workload.rate is not used by a ramp).
func TestShapedTarget(t *testing.T) {
	v := runOne(t, `
name: ramp
duration: 2s
topic: {partitions: 2}
workload: {rate: 0, shape: {kind: ramp, from: 100, to: 500, over: 2s}}
consumers: []
`)
	if got := v.Produce.Throughput.TargetMsgsPerS; got < 299 || got > 301 {
		t.Errorf("target %.1f msg/s, want the ramp's mean 300", got)
	}
	if v.Config.Shape != "ramp" || v.Config.TargetRate != v.Produce.Throughput.TargetMsgsPerS {
		t.Errorf("config %+v", v.Config)
	}
}
