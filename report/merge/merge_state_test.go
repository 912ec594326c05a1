package merge_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
)

func encSet(ranges ...[2]uint64) string {
	s := &delivery.IntervalSet{}
	for _, r := range ranges {
		s.AddRange(r[0], r[1])
	}
	return s.Encode()
}

// TestMergeDeliveryState: two shards of a group spread over both; shard 0
// acknowledged offsets 0-49 of partition 0 and 0-19 of partition 1, shard 1
// offsets 50-99 of partition 0 and 20-39 of partition 1. Shard 0's member
// held partition 0 until offset 60, shard 1's took over at 55 (56..60
// processed twice, on two shards); partition 1 was consumed by shard 1
// only, and offset 33 never was (lost). Each shard consumed the other's
// messages, so neither could tell.
func TestMergeDeliveryState(t *testing.T) {
	lat := []time.Duration{time.Millisecond}
	a := shardOf(t, "0/2", lat, []int64{50, 20}, 0, 1)
	b := shardOf(t, "1/2", lat, []int64{50, 20}, 0, 1)
	for _, r := range []*report.Result{a, b} {
		v := &r.Variants[0]
		v.Delivery = &report.Delivery{Duplicated: 1, Reordered: 2}
		v.Consume.Groups[0].Delivery = report.Delivery{Duplicated: 1, Reordered: 2}
	}
	a.Variants[0].DeliveryState = &report.DeliveryState{
		OffsetsKnown: true, Drained: true,
		HighWatermarks: []int64{100, 40}, WarmupAcked: []int64{5, 0},
		Acked:  []string{encSet([2]uint64{0, 49}), encSet([2]uint64{0, 19})},
		Groups: []report.GroupState{{Group: "g", Members: 1, Consumed: []string{encSet([2]uint64{0, 60}), ""}}},
		Gates:  []string{"delivery.lost == 0"},
	}
	b.Variants[0].DeliveryState = &report.DeliveryState{
		OffsetsKnown: true, Drained: true,
		HighWatermarks: []int64{100, 39}, WarmupAcked: []int64{3, 1},
		Acked:  []string{encSet([2]uint64{50, 99}), encSet([2]uint64{20, 39})},
		Groups: []report.GroupState{{Group: "g", Members: 1, Consumed: []string{encSet([2]uint64{56, 99}), encSet([2]uint64{0, 32}, [2]uint64{34, 39})}}},
		Gates:  []string{"delivery.lost == 0"},
	}
	m, err := merge.Merge([]*report.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Variants[0]
	g := v.Consume.Groups[0]
	if !eqInt(g.Delivery.Lost, 1) || !eqInt(g.Delivery.Unconsumed, 0) || g.Delivery.Duplicated != 2+5 || g.Delivery.Reordered != 4 {
		t.Errorf("group delivery %s, want lost 1, unconsumed 0, duplicated 7, reordered 4", fmtDelivery(g.Delivery))
	}
	if fmtDelivery(*v.Delivery) != fmtDelivery(g.Delivery) {
		t.Errorf("variant delivery %s, group %s", fmtDelivery(*v.Delivery), fmtDelivery(g.Delivery))
	}
	if !eqInt(v.Partitions[0].BrokerMessages, 100-8) || !eqInt(v.Partitions[1].BrokerMessages, 40-1) {
		t.Errorf("broker messages %+v", v.Partitions)
	}
	// The experiment's deferred gate is evaluated on the merged figures.
	if len(v.Gates) != 1 || v.Gates[0].Pass || m.Passed {
		t.Errorf("gates %+v passed %v", v.Gates, m.Passed)
	}

	// One shard not drained, without committed offsets: lost is unknown.
	b.Variants[0].DeliveryState.Drained = false
	if m, err = merge.Merge([]*report.Result{a, b}); err != nil || m.Variants[0].Delivery.Lost != nil {
		t.Errorf("undrained shard: %v %+v", err, m.Variants[0].Delivery)
	}
	// With the group's committed offsets, what is missing splits: offset
	// 33 of partition 1 at or above the committed offset is a backlog,
	// below it a loss.
	for _, c := range []struct {
		committed        int64
		lost, unconsumed int64
	}{{33, 0, 1}, {34, 1, 0}} {
		b.Variants[0].DeliveryState.Groups[0].Committed = []int64{100, c.committed}
		m, err = merge.Merge([]*report.Result{a, b})
		if err != nil {
			t.Fatal(err)
		}
		d := m.Variants[0].Consume.Groups[0].Delivery
		if !eqInt(d.Lost, c.lost) || !eqInt(d.Unconsumed, c.unconsumed) {
			t.Errorf("committed %d: %s, want lost %d unconsumed %d", c.committed, fmtDelivery(d), c.lost, c.unconsumed)
		}
	}
	b.Variants[0].DeliveryState.Groups[0].Committed = nil
	b.Variants[0].DeliveryState.Drained = true

	// Every shard is needed; states cannot be mixed with plain results.
	if _, err := merge.Merge([]*report.Result{a}); err == nil || !strings.Contains(err.Error(), "1/2 missing") {
		t.Errorf("missing shard: %v", err)
	}
	c := shardOf(t, "1/2", lat, []int64{50, 20}, 0, 1)
	if _, err := merge.Merge([]*report.Result{a, c}); err == nil || !strings.Contains(err.Error(), "delivery_state") {
		t.Errorf("mixed: %v", err)
	}
	b.Variants[0].DeliveryState.Acked[0] = "!"
	if _, err := merge.Merge([]*report.Result{a, b}); err == nil {
		t.Error("a corrupt state merged")
	}
}

func eqInt(p *int64, want int64) bool { return p != nil && *p == want }

func fmtDelivery(d report.Delivery) string {
	f := func(p *int64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("{lost %s unconsumed %s duplicated %d reordered %d foreign %d}", f(d.Lost), f(d.Unconsumed), d.Duplicated, d.Reordered, d.Foreign)
}
