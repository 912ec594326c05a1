package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/report"
)

// waitStart waits (interruptibly) until the variant's common start. A shard
// that arrives late starts at once, still pacing from the common start (its
// late messages show as send delay); one so late that the whole window has
// passed fails.
func (vr *variantRun) waitStart(ctx context.Context) error {
	if d := time.Until(vr.startAt); d > 0 {
		fmt.Fprintf(vr.opt.Log, "waiting %s for the common start at %s\n", d.Round(time.Millisecond), vr.startAt.UTC().Format(time.RFC3339Nano))
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		return nil
	}
	late := time.Since(vr.startAt)
	if late > vr.exp.Warmup.D()+vr.exp.Duration.D() {
		return fmt.Errorf("the common start %s passed %s ago: this variant's whole window is over (use a later --start-at)", vr.startAt.UTC().Format(time.RFC3339), late.Round(time.Second))
	}
	if late > time.Second {
		fmt.Fprintf(vr.opt.Log, "warning: starting %s after the common start; the messages due meanwhile go out at once (send delay)\n", late.Round(time.Millisecond))
	}
	return nil
}

// waitShardedGroups waits until every group this shard has members of is
// Stable with all its configured members (the other shards' included),
// until the common start at most (30 s without one, at least 2 s). A group
// still incomplete then (another shard not started yet) is a warning, not
// an error: it rebalances when the others join, which its figures show.
// A group with no member here is not waited for.
func (vr *variantRun) waitShardedGroups(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	if !vr.startAt.IsZero() {
		deadline = vr.startAt
	}
	if soonest := time.Now().Add(2 * time.Second); deadline.Before(soonest) {
		deadline = soonest
	}
	for _, g := range vr.groups {
		g.mu.Lock()
		local := len(g.members)
		g.mu.Unlock()
		if local == 0 {
			continue
		}
		for {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ready, err := vr.adm.GroupReady(wctx, g.id, g.cfg.Instances)
			cancel()
			if err == nil && ready {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(vr.opt.Log, "warning: consumer group %q is not stable with its %d members (%d here) by the start; other shards not up yet? Producing anyway: it rebalances as they join\n", g.cfg.Group, g.cfg.Instances, local)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		g.markReady(ctx)
	}
	return nil
}

// drainSharded waits until every group's committed lag is zero on every
// partition, steadily (and this shard's members idle) for drainSteady. The
// usual test (every acknowledged message consumed) cannot work on a shard:
// its members consume other shards' messages, and other shards' members
// consume its own.
func (vr *variantRun) drainSharded(ctx context.Context, from time.Time) (float64, error) {
	P := vr.exp.Topic.Partitions
	deadline := from.Add(vr.exp.Drain.D())
	var zeroSince time.Time
	var last []int64
	for {
		cur := make([]int64, len(vr.groups))
		for i, g := range vr.groups {
			cur[i] = g.unique.Load()
		}
		zero := false
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		hwm, err := vr.adm.EndOffsets(qctx, vr.topic, P)
		if err == nil {
			zero = true
			for _, g := range vr.groups {
				committed, cerr := vr.adm.Committed(qctx, g.id, vr.topic, P)
				if cerr != nil {
					zero = false
					break
				}
				for p := 0; p < P; p++ {
					if hwm[p] > max(committed[p], 0) {
						zero = false
					}
				}
			}
		}
		cancel()
		now := time.Now()
		switch {
		case !zero || !equal(cur, last):
			zeroSince = time.Time{}
		case zeroSince.IsZero():
			zeroSince = now
		case now.Sub(zeroSince) >= drainSteady:
			return msSince(from, zeroSince), nil
		}
		last = cur
		select {
		case err := <-vr.sampler.failed:
			return -1, err
		default:
		}
		if now.After(deadline) || ctx.Err() != nil {
			return -1, nil
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// drainSteady is how long a sharded drain must see no lag anywhere.
const drainSteady = time.Second

// offsetsKnown: producers learn their records' offsets unless acks=0.
func (vr *variantRun) offsetsKnown() bool { return vr.exp.Producer.Acks != "0" }

// shardState is the variant's delivery_state: what `kbench merge` needs to
// compute the cross-shard figures exactly.
func (vr *variantRun) shardState(hwm []int64, hwmErr error, warm []int64, drained bool) *report.DeliveryState {
	P := vr.exp.Topic.Partitions
	st := &report.DeliveryState{
		OffsetsKnown: vr.offsetsKnown(),
		Drained:      drained,
		WarmupAcked:  warm,
		Acked:        make([]string, P),
		Gates:        append([]string(nil), vr.exp.Gates...),
	}
	st.HighWatermarks = make([]int64, P)
	for q := range st.HighWatermarks {
		st.HighWatermarks[q] = -1
		if hwmErr == nil && q < len(hwm) {
			st.HighWatermarks[q] = hwm[q]
		}
	}
	acked := make([]delivery.IntervalSet, P)
	for _, p := range vr.producers {
		p.mu.Lock()
		for q := range p.ackedOff {
			acked[q].Merge(&p.ackedOff[q])
		}
		p.mu.Unlock()
	}
	for q := range acked {
		st.Acked[q] = acked[q].Encode()
	}
	committed, _ := vr.sampler.lastOffsets()
	for gi, g := range vr.groups {
		g.mu.Lock()
		local := len(g.members)
		g.mu.Unlock()
		gs := report.GroupState{Group: g.cfg.Group, Members: local, Consumed: make([]string, P)}
		for q := range gs.Consumed {
			gs.Consumed[q] = g.tracker.Offsets(int32(q)).Encode()
		}
		if gi < len(committed) && committed[gi] != nil {
			gs.Committed = append([]int64(nil), committed[gi]...)
		}
		st.Groups = append(st.Groups, gs)
	}
	return st
}
