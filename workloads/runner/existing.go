package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads"
)

// A run on an existing topic (topic.existing) uses a topic kbench did not
// create: its partition count comes from the broker, it is never created,
// trimmed or deleted, and, unless producer.allow_existing_topic, nothing is
// written to it (consume-only). Every group starts where topic.from says,
// by committing that offset for the group's fresh, run-unique id before
// its members join; no other group's offsets are touched.

// existingPreflight rejects what cannot run on an existing topic, before
// any load.
func existingPreflight(v workloads.Variant, external bool, sh Shard) error {
	if v.Exp.Topic.Existing == "" {
		return nil
	}
	if !external {
		return fmt.Errorf("variant %s: topic.existing %q needs a cluster (--brokers or cluster.brokers): the embedded broker starts empty", v.Name, v.Exp.Topic.Existing)
	}
	if sh.Sharded() {
		return fmt.Errorf("variant %s: topic.existing is not supported in a sharded run", v.Name)
	}
	return nil
}

// existing reports whether the variant runs on a topic kbench did not
// create.
func (vr *variantRun) existing() bool { return vr.exp.Topic.Existing != "" }

// useExisting takes the existing topic as the variant's topic: its
// partition count (metadata), its end offsets now (what the run's
// broker-side counts are measured from) and where the groups start.
// Read-only.
func (vr *variantRun) useExisting(ctx context.Context) error {
	name := vr.exp.Topic.Existing
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	n, err := vr.adm.Partitions(cctx, name)
	if err != nil {
		return cut(ctx, fmt.Errorf("topic.existing: %w", err))
	}
	e := *vr.exp
	e.Topic.Partitions = n
	vr.exp, vr.topic = &e, name
	first, err := vr.adm.StartOffsets(cctx, name, n)
	if err != nil {
		return cut(ctx, fmt.Errorf("topic.existing %q: start offsets: %w", name, err))
	}
	vr.base, err = vr.adm.EndOffsets(cctx, name, n)
	if err != nil {
		return cut(ctx, fmt.Errorf("topic.existing %q: end offsets: %w", name, err))
	}
	vr.startOffs = startOffsets(e.Topic.From, first, vr.base)
	fmt.Fprintf(vr.opt.Log, "  existing topic %s: %d partitions, %d records; groups start at %s\n", name, n, sum(vr.base)-sum(first), fromName(e.Topic.From))
	return nil
}

// startOffsets is where a group starts on each partition: the first
// offset (earliest), the end (latest), or the given offset clamped to the
// partition's [first, end].
func startOffsets(from string, first, end []int64) []int64 {
	at, _ := workloads.StartOffset(from) // validated
	out := make([]int64, len(end))
	for p := range out {
		switch {
		case at == -2:
			out[p] = first[p]
		case at == -1:
			out[p] = end[p]
		default:
			out[p] = min(max(at, first[p]), end[p])
		}
	}
	return out
}

func fromName(from string) string {
	if from == "" {
		return workloads.FromEarliest
	}
	return from
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// commitStarts commits every group's start offsets on an existing topic,
// so members resume there whatever the driver's reset policy, and the lag
// is exact from the first reading.
func (vr *variantRun) commitStarts(ctx context.Context) error {
	if vr.startOffs == nil {
		return nil
	}
	for _, g := range vr.groups {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := vr.adm.CommitStart(cctx, g.id, vr.topic, vr.startOffs)
		cancel()
		if err != nil {
			return cut(ctx, err)
		}
	}
	if vr.exp.ConsumeOnly() {
		// The members read the topic from the moment they join: the
		// measured phase (and the groups' warmup) starts now.
		vr.readFrom = time.Now()
		for _, g := range vr.groups {
			g.measure.Store(clock.At(vr.readFrom.Add(vr.exp.Warmup.D())))
		}
	}
	return nil
}

// sinceStart is what the topic gained during the run, per partition: the
// end offsets hwm less those at the start (hwm itself for a topic kbench
// created; nil stays nil).
func (vr *variantRun) sinceStart(hwm []int64) []int64 {
	if hwm == nil || vr.base == nil {
		return hwm
	}
	out := make([]int64, len(hwm))
	for p := range out {
		out[p] = hwm[p]
		if p < len(vr.base) {
			out[p] -= vr.base[p]
		}
	}
	return out
}

// consume waits out the measured phase of a consume-only run (nothing is
// produced; the groups read meanwhile), or until the broker stops
// answering. It returns when the phase ended.
func (vr *variantRun) consume(ctx context.Context) (time.Time, error) {
	t := time.NewTimer(time.Until(vr.end))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case err := <-vr.sampler.failed:
		return time.Now(), err
	}
	return time.Now(), nil
}

// caughtUp is a consume-only group's drain: done once its committed
// offsets reach the topic's end (there is nothing acknowledged to wait
// for). It reads them itself, at most every 200ms, rather than waiting
// for the sampler's once-a-second reading.
func (vr *variantRun) caughtUp(ctx context.Context, g *group, st *drainState) groupDrain {
	if time.Since(st.checked) < 200*time.Millisecond {
		return groupDrain{}
	}
	st.checked = time.Now()
	P := vr.exp.Topic.Partitions
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	end, err := vr.adm.EndOffsets(cctx, vr.topic, P)
	if err != nil {
		return groupDrain{}
	}
	committed, err := vr.adm.Committed(cctx, g.id, vr.topic, P)
	if err != nil {
		return groupDrain{}
	}
	for p := range end {
		if committed[p] < end[p] {
			return groupDrain{}
		}
	}
	return groupDrain{done: true, at: st.checked}
}

// consumeOnlyFigures nulls what a consume-only run cannot measure: the
// rebalance pause counts partitions with acknowledged messages waiting,
// and nothing is acknowledged. The rebalance log (who held what, when)
// stays.
func (vr *variantRun) consumeOnlyFigures(v *report.Variant) {
	if !vr.exp.ConsumeOnly() {
		return
	}
	for i := range v.Consume.Groups {
		v.Consume.Groups[i].RebalancePauseMs = nil
	}
}
