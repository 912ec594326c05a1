package runner

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/report"
)

// pauseTick is how often the pause meter looks at who holds what. A pause
// shorter than a tick may be missed or rounded up to one.
const pauseTick = 10 * time.Millisecond

// pauseMeter measures what rebalances cost one group: every tick it asks
// each member's client which partitions it holds (assigned in the current
// generation and not revoked or lost), and counts
//
//   - pause: for every partition with work (more acknowledged messages
//     than the group has processed from it) that no member is able to
//     process — held by nobody, or only by a crashed or stalled member —
//     the tick's milliseconds (partition-milliseconds);
//   - episodes: a rebalance runs from the first tick at which the owners
//     differ from the last settled assignment until the first tick at which
//     every partition is held again (eager assignors take every partition
//     away first; cooperative ones only the partitions that move). Its
//     moved partitions are the ones whose owner then differs from before.
type pauseMeter struct {
	g       *group
	parts   int               // the most partitions the topic has during the run
	now     func() int        // the topic's partitions now (it may grow)
	acked   func(dst []int64) // acknowledged messages per partition, so far
	done    []atomic.Int64    // processed for the first time, per partition
	started time.Time
	stopped time.Time // when run returned

	mu       sync.Mutex
	pauseMs  float64
	episodes []report.Rebalance
	settled  []int // owner (member index) per partition at the last settled point; -1: none
	cur      *report.Rebalance
	curFrom  time.Time
	curPause float64
}

func newPauseMeter(g *group, parts int, now func() int, acked func([]int64)) *pauseMeter {
	pm := &pauseMeter{g: g, parts: parts, now: now, acked: acked, done: make([]atomic.Int64, parts)}
	return pm
}

// processed notes the first processing of a message of partition p.
func (pm *pauseMeter) processed(p int) {
	if pm != nil && p >= 0 && p < len(pm.done) {
		pm.done[p].Add(1)
	}
}

// run ticks until ctx ends.
func (pm *pauseMeter) run(ctx context.Context, start time.Time) {
	pm.started = start
	acked := make([]int64, pm.parts)
	t := time.NewTicker(pauseTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			pm.mu.Lock()
			pm.stopped = time.Now()
			pm.mu.Unlock()
			return
		case <-t.C:
			pm.acked(acked)
			// The owners first, then the time: a change seen (a topic
			// grown, a member gone) is never stamped before it happened,
			// as the tick's own time, taken before the tick ran, could be.
			owner, able := pm.owners()
			now := time.Now()
			pm.tick(now, now.Sub(last), acked, owner, able)
			last = now
		}
	}
}

// owners returns, per partition the topic has now, the member holding it
// (-1: none) and whether that member can process it (not crashed, not
// stalled).
func (pm *pauseMeter) owners() (owner []int, able []bool) {
	n := pm.parts
	if pm.now != nil {
		n = min(pm.now(), n)
	}
	owner = make([]int, n)
	able = make([]bool, n)
	for i := range owner {
		owner[i] = -1
	}
	pm.g.mu.Lock()
	ms := slices.Clone(pm.g.members)
	pm.g.mu.Unlock()
	for _, m := range ms {
		if m.crashed.Load() || m.stopping.Load() {
			continue
		}
		ok := !m.stalled.Load()
		for _, p := range m.c.Assigned() {
			if p >= 0 && p < n {
				owner[p] = m.idx
				able[p] = able[p] || ok
			}
		}
	}
	return owner, able
}

// allAssigned reports whether the members hold every partition; true
// when some members run elsewhere (a sharded run: this host cannot know).
func (g *group) allAssigned() bool {
	g.mu.Lock()
	ms := slices.Clone(g.members)
	g.mu.Unlock()
	if len(ms) == 0 || len(ms) < g.cfg.Instances {
		return true
	}
	n := len(ms[0].lastSeen)
	if g.partitions != nil {
		n = min(g.partitions(), n)
	}
	held := make([]bool, n)
	for _, m := range ms {
		for _, p := range m.c.Assigned() {
			if p >= 0 && p < len(held) {
				held[p] = true
			}
		}
	}
	return !slices.Contains(held, false)
}

func (pm *pauseMeter) tick(now time.Time, dt time.Duration, acked []int64, owner []int, able []bool) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	ms := float64(dt.Microseconds()) / 1000
	var paused float64
	for p := range owner {
		if !able[p] && acked[p] > pm.done[p].Load() {
			paused += ms
		}
	}
	pm.pauseMs += paused
	all := !slices.Contains(owner, -1)
	if pm.settled == nil {
		// The assignment the group was ready with; a group still
		// rebalancing when producing starts is in its first rebalance.
		pm.settled = owner
		if !all {
			pm.cur = &report.Rebalance{AtS: round3(now.Sub(pm.started).Seconds())}
			pm.curFrom = now
			pm.curPause = paused
		}
		return
	}
	switch {
	case pm.cur == nil && !slices.Equal(owner, pm.settled):
		pm.cur = &report.Rebalance{AtS: round3(now.Sub(pm.started).Seconds())}
		pm.curFrom = now
		pm.curPause = paused
		if all { // moved within one tick: settled already
			pm.finish(now, owner)
		}
	case pm.cur != nil:
		pm.curPause += paused
		if all {
			pm.finish(now, owner)
		}
	}
}

// finish closes the rebalance in progress at the assignment owner. The
// partitions the topic gained since the last settled assignment are added,
// not moved, and make the rebalance's cause "repartition".
func (pm *pauseMeter) finish(now time.Time, owner []int) {
	moved, added := 0, 0
	for p := range owner {
		switch {
		case p >= len(pm.settled):
			added++
		case owner[p] != pm.settled[p]:
			moved++
		}
	}
	pm.cur.DurationMs = round3(float64(now.Sub(pm.curFrom).Microseconds()) / 1000)
	pm.cur.PartitionsMoved = moved
	pm.cur.PartitionsAdded = added
	if added > 0 {
		pm.cur.Cause = "repartition"
	}
	pm.cur.PauseMs = round3(pm.curPause)
	pm.episodes = append(pm.episodes, *pm.cur)
	pm.cur = nil
	pm.settled = owner
}

// soFar is the group's rebalance_pause_ms so far, for the live view (the
// same sum result reports); nil when the group has no meter.
func (pm *pauseMeter) soFar() *float64 {
	if pm == nil {
		return nil
	}
	pm.mu.Lock()
	defer pm.mu.Unlock()
	return report.Float(round3(pm.pauseMs))
}

// result is the group's pause and its rebalances; a rebalance still in
// progress at the end is listed with its duration so far and Unfinished.
func (pm *pauseMeter) result() (*float64, []report.Rebalance) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	end := pm.stopped
	out := slices.Clone(pm.episodes)
	if pm.cur != nil {
		r := *pm.cur
		r.DurationMs = round3(float64(end.Sub(pm.curFrom).Microseconds()) / 1000)
		r.PauseMs = round3(pm.curPause)
		r.Unfinished = true
		out = append(out, r)
	}
	return report.Float(round3(pm.pauseMs)), out
}

// startPauseMeters starts a pause meter per group (not in a sharded run:
// the acknowledgements are spread over hosts) and returns the function
// that stops them all, to be called before the members stop.
func (vr *variantRun) startPauseMeters(ctx context.Context, start time.Time) (stop func()) {
	if vr.shard.Sharded() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	P := vr.maxPartitions()
	for _, g := range vr.groups {
		pm := newPauseMeter(g, P, vr.partitions, vr.ackedPerPartition)
		g.pause.Store(pm)
		wg.Add(1)
		go func() { defer wg.Done(); pm.run(ctx, start) }()
	}
	return func() { cancel(); wg.Wait() }
}

// ackedPerPartition fills dst with every producer's acknowledged messages
// per partition, warmup included.
func (vr *variantRun) ackedPerPartition(dst []int64) {
	clear(dst)
	for _, p := range vr.producers {
		p.mu.Lock()
		for i := range dst {
			if i < len(p.warmParts) {
				dst[i] += p.warmParts[i] + p.partMsgs[i]
			}
		}
		p.mu.Unlock()
	}
}

// assembleRebalances fills the group's rebalance cost figures.
func (g *group) assembleRebalances(gr *report.Group) {
	if pm := g.pause.Load(); pm != nil {
		gr.RebalancePauseMs, gr.RebalanceLog = pm.result()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.members {
		gr.MaxPollEvictions += driver.Evictions(m.c)
	}
}
