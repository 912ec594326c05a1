package runner

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
)

// Observer watches a run live (the OpenMetrics endpoint, the JSON-lines
// stream). The runner calls Observe from its sampler about once a second
// per variant, and once more when the variant ends; calls are serial.
// Observe must not keep the Snapshot's histograms: the runner reuses them.
//
// Observation costs the hot path nothing it would not pay anyway: the
// sampler reads the counters and swaps the per-second histograms it
// already keeps; the only additions, made only when an Observer is set,
// are a corrected-latency record beside the existing per-second one (under
// the lock the acknowledgement already takes) and one uncontended atomic
// add per consumed message for the live e2e histogram.
type Observer interface {
	Observe(s *Snapshot)
}

// Observers calls each of its Observers in turn.
type Observers []Observer

// Observe implements Observer.
func (os Observers) Observe(s *Snapshot) {
	for _, o := range os {
		o.Observe(s)
	}
}

// Phase of a variant as seen live.
type Phase string

// The phases a variant goes through.
const (
	PhaseWarmup  Phase = "warmup"
	PhaseMeasure Phase = "measure"
	PhaseDrain   Phase = "drain" // producers done; consumers catching up
	PhaseDone    Phase = "done"
)

// Phases lists every phase in order.
var Phases = []Phase{PhaseWarmup, PhaseMeasure, PhaseDrain, PhaseDone}

// Snapshot is what a variant has done so far. Counters are cumulative
// since the variant started (warmup included unless said otherwise);
// histograms hold only what happened since the previous snapshot.
type Snapshot struct {
	Variant string
	Index   int   // the variant's position in the plan
	At      int64 // internal/clock stamp of the reading
	Phase   Phase
	Elapsed time.Duration // since the pacing origin
	Total   time.Duration // warmup + duration
	// Rate is acknowledgements per second since the previous snapshot.
	Rate      float64
	Producers []ProducerSnapshot
	Groups    []GroupSnapshot
	// Produce and Corrected: this interval's acknowledgements (service
	// and corrected latency), every producer's together; nil in the final
	// snapshot.
	Produce, Corrected *recorder.Histogram
	// Result is the variant's figures, set only when Phase is PhaseDone.
	Result *report.Variant
	// Probe is the capacity-search probe running, if any; Variant is
	// then the searched variant's name (bounded labels), not the probe's.
	Probe *ProbeInfo
}

// ProbeInfo names the capacity-search probe a snapshot belongs to.
type ProbeInfo struct {
	Index int     // 1-based, in the variant's search
	Rate  float64 // its target rate, msg/s
	// Variant is the searched variant's name.
	Variant string
}

// ProducerSnapshot is one producer's counters.
type ProducerSnapshot struct {
	Index  int   // global producer index (a shard keeps global ids)
	Sent   int64 // handed to the client
	Acked  int64 // acknowledged
	Errors int64 // failed deliveries
	Bytes  int64 // acknowledged bytes, measured phase only
}

// GroupSnapshot is one consumer group's counters.
type GroupSnapshot struct {
	Group string // the configured name
	ID    string // the group id on the broker
	// Processed is messages processed for the first time (whole run);
	// Duplicated is re-deliveries processed again.
	Processed  int64
	Duplicated int64
	Rebalances int64
	// RebalancePauseMs is rebalance_pause_ms so far (partition-ms); nil
	// when not measured (a sharded or consume-only run, or before
	// producing starts).
	RebalancePauseMs *float64
	// Pending is acknowledged messages not yet processed (all producers of
	// this process); not a loss: see Result for lost and unconsumed.
	Pending int64
	// Lag per partition at the last reading; nil before one.
	Lag []int64
	// E2E is this interval's end-to-end latencies (3% buckets); nil in
	// the final snapshot.
	E2E *recorder.Histogram
}

// liveScratch is the sampler's reusable interval histograms for the
// snapshots (allocated on the first one, only when observed).
type liveScratch struct {
	corr *recorder.Histogram   // corrected latency, all producers
	e2e  []*recorder.Histogram // per group
}

// observe builds and hands out a live snapshot (sampler goroutine).
func (s *sampler) observe(now time.Time, rate float64) {
	vr := s.vr
	if vr.opt.Observer == nil {
		return
	}
	lv := &s.live
	if lv.corr == nil {
		lv.corr = recorder.NewHistogram()
		lv.e2e = make([]*recorder.Histogram, len(vr.groups))
		for i := range lv.e2e {
			lv.e2e[i] = recorder.NewHistogram()
		}
	}
	lv.corr.Reset()
	for _, p := range vr.producers {
		p.mu.Lock()
		if p.liveCorr != nil {
			lv.corr.Merge(p.liveCorr)
			p.liveCorr.Reset()
		}
		p.mu.Unlock()
	}
	snap := vr.snapshot(now, s.start)
	snap.Rate = rate
	snap.Produce, snap.Corrected = s.second, lv.corr
	for gi, g := range vr.groups {
		lv.e2e[gi].Reset()
		g.drainLive(lv.e2e[gi])
		snap.Groups[gi].E2E = lv.e2e[gi]
	}
	vr.opt.Observer.Observe(snap)
}

// snapshot reads every producer's and group's counters.
func (vr *variantRun) snapshot(now, start time.Time) *Snapshot {
	exp := vr.exp
	el := now.Sub(start)
	snap := &Snapshot{
		Variant: vr.name, Index: vr.index, At: clock.At(now),
		Elapsed: el, Total: exp.Warmup.D() + exp.Duration.D(),
	}
	if pr := vr.opt.probe; pr != nil {
		snap.Variant, snap.Probe = pr.Variant, pr
	}
	switch {
	case el < exp.Warmup.D():
		snap.Phase = PhaseWarmup
	case el < snap.Total:
		snap.Phase = PhaseMeasure
	default:
		snap.Phase = PhaseDrain
	}
	var acked int64
	for _, p := range vr.producers {
		p.mu.Lock()
		ps := ProducerSnapshot{Index: int(p.id), Sent: p.sent.Load(), Acked: p.ackedAll, Errors: p.errors, Bytes: p.bytes}
		p.mu.Unlock()
		acked += ps.Acked
		snap.Producers = append(snap.Producers, ps)
	}
	var committed [][]int64
	var hwm []int64
	if vr.sampler != nil {
		committed, hwm = vr.sampler.lastOffsets()
	}
	for gi, g := range vr.groups {
		tr := g.tracker
		if g.ver != nil {
			tr = g.ver.tracker
		}
		gs := GroupSnapshot{
			Group: g.cfg.Group, ID: g.id,
			Processed:        g.unique.Load(),
			Duplicated:       tr.Counts().Duplicated,
			Rebalances:       g.rebalances(),
			RebalancePauseMs: g.pause.Load().soFar(),
		}
		gs.Pending = max(acked-gs.Processed, 0)
		if gi < len(committed) && hwm != nil {
			gs.Lag = make([]int64, len(hwm))
			for p := range hwm {
				// nothing committed (-1) counts from the start, as in sample
				gs.Lag[p] = max(hwm[p]-max(committed[gi][p], 0), 0)
			}
		}
		snap.Groups = append(snap.Groups, gs)
	}
	return snap
}

// observeDone hands out the variant's final snapshot with its figures.
func (vr *variantRun) observeDone(v *report.Variant) {
	if vr.opt.Observer == nil || vr.sampler == nil {
		return
	}
	snap := vr.snapshot(time.Now(), vr.sampler.start)
	snap.Phase = PhaseDone
	snap.Result = v
	vr.opt.Observer.Observe(snap)
}

// liveHist is a member's live e2e histogram: lock-free log-linear buckets
// (32 per power of two, so a value is known to within 3%) that the member
// adds to with one uncontended atomic add per message and the sampler
// empties once a second. Fixed size: 896 counters.
type liveHist struct {
	counts [liveBuckets]atomic.Int64
}

const (
	liveSubBits = 5
	liveSub     = 1 << liveSubBits
	// values below 2*liveSub µs are exact; above, 32 buckets per octave up
	// to 2^32 µs (over an hour).
	liveBuckets = 2*liveSub + (32-liveSubBits-1)*liveSub
)

// record adds one latency.
func (h *liveHist) record(d time.Duration) {
	h.counts[liveIndex(d)].Add(1)
}

// liveIndex is d's bucket.
func liveIndex(d time.Duration) int {
	us := uint64(max(d/time.Microsecond, 0))
	if us < 2*liveSub {
		return int(us)
	}
	e := bits.Len64(us) - 1 // us in [2^e, 2^(e+1))
	if e > 31 {
		return liveBuckets - 1
	}
	sub := (us >> (e - liveSubBits)) & (liveSub - 1)
	return 2*liveSub + (e-liveSubBits-1)*liveSub + int(sub)
}

// liveUpper is the largest value of bucket i: the sampler records a
// bucket's count at it, so a live percentile never understates.
func liveUpper(i int) time.Duration {
	if i < 2*liveSub {
		return time.Duration(i) * time.Microsecond
	}
	j := i - 2*liveSub
	e := j/liveSub + liveSubBits + 1
	sub := uint64(j % liveSub)
	lo := (liveSub + sub) << (e - liveSubBits)
	return time.Duration(lo+(1<<(e-liveSubBits))-1) * time.Microsecond
}

// drainInto moves h's counts into out.
func (h *liveHist) drainInto(out *recorder.Histogram) {
	for i := range h.counts {
		if h.counts[i].Load() == 0 {
			continue
		}
		if n := h.counts[i].Swap(0); n > 0 {
			out.RecordN(liveUpper(i), n)
		}
	}
}

// drainLive moves every member's live e2e counts into out.
func (g *group) drainLive(out *recorder.Histogram) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.members {
		if m.live != nil {
			m.live.drainInto(out)
		}
	}
}
