package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads"
)

// Consumer fault kinds (SPEC §4 faults).
const (
	faultCrash = "consumer-crash" // dies: no commit, no LeaveGroup
	faultLeave = "consumer-leave" // clean close
	faultJoin  = "consumer-join"  // a new member scales the group out
	faultStall = "consumer-stall" // stops fetching and heartbeating for a while
)

// faultRun is one scheduled fault as it happened.
type faultRun struct {
	spec     workloads.Fault
	at       time.Time
	g        *group
	orphaned []int // partitions the faulted member was consuming
	failover time.Duration
	done     bool
	err      error
	hits     int64 // requests a broker fault affected
}

// scheduleFaults runs every fault at its offset from start. It returns when
// ctx ends; the records stay readable through vr.faults.
func (vr *variantRun) scheduleFaults(ctx context.Context, start time.Time) {
	var wg sync.WaitGroup
	for i := range vr.exp.Faults {
		f := vr.exp.Faults[i]
		fr := &faultRun{spec: f}
		vr.faultsMu.Lock()
		vr.faults = append(vr.faults, fr)
		vr.faultsMu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(time.Until(start.Add(f.At.D())))
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			vr.execFault(ctx, fr)
		}()
	}
	wg.Wait()
}

func (vr *variantRun) execFault(ctx context.Context, fr *faultRun) {
	f := fr.spec
	fr.at = time.Now()
	if broker.IsBrokerFault(f.Kind) {
		vr.execBrokerFault(ctx, fr)
		return
	}
	for _, g := range vr.groups {
		if g.cfg.Group == f.Group {
			fr.g = g
		}
	}
	if fr.g == nil {
		fr.err = fmt.Errorf("fault %s: no group %q", f.Kind, f.Group)
		return
	}
	g := fr.g
	if isSpike(f) {
		vr.execSpike(ctx, fr)
		return
	}
	if f.Kind == faultJoin {
		g.mu.Lock()
		idx := len(g.members)
		g.mu.Unlock()
		if _, err := vr.addMember(vr.consumerCtx, g, idx); err != nil {
			fr.err = err
		}
		fr.done = true
		return
	}
	m := g.member(f.Instance)
	if m == nil {
		fr.err = fmt.Errorf("fault %s: group %q has no live instance %d", f.Kind, f.Group, f.Instance)
		return
	}
	fr.orphaned = g.ownedBy(m)
	switch f.Kind {
	case faultCrash:
		// Silence first, so nothing (no LeaveGroup, no commit) gets out.
		m.sw.Sever()
		m.crashed.Store(true)
		m.cancel()
		go func() { _ = m.c.Close() }()
		g.retire(m)
	case faultLeave:
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		m.stop(stopCtx)
		cancel()
		g.retire(m)
	case faultStall:
		m.sw.Freeze()
		m.stalled.Store(true)
		d := f.For.D()
		go func() {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			m.stalled.Store(false)
			m.sw.Thaw()
		}()
	}
	vr.watchFailover(ctx, fr, m)
}

// watchFailover measures the time from the fault until every partition the
// faulted member was consuming is being consumed again by another member.
func (vr *variantRun) watchFailover(ctx context.Context, fr *faultRun, faulted *member) {
	if len(fr.orphaned) == 0 {
		fr.done = true
		return
	}
	atNs := clock.At(fr.at)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		all := true
		for _, p := range fr.orphaned {
			if fr.g.lastSeenBy(p, faulted, fr.spec.Kind == faultStall) <= atNs {
				all = false
				break
			}
		}
		if all {
			fr.failover = time.Since(fr.at)
			fr.done = true
			return
		}
	}
}

func (vr *variantRun) execBrokerFault(ctx context.Context, fr *faultRun) {
	f := fr.spec
	if vr.emb == nil {
		fr.err = fmt.Errorf("fault %s needs the embedded broker", f.Kind)
		return
	}
	inj, err := vr.emb.Inject(broker.FaultSpec{Kind: f.Kind, Topic: vr.topic, Rate: f.Rate, Latency: f.Latency.D()})
	if err != nil {
		fr.err = err
		return
	}
	fr.done = true
	if d := f.For.D(); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	} else {
		<-ctx.Done()
	}
	inj.Stop()
	fr.hits = inj.Hits()
}

// faultResults reports each fault, and per group the slowest failover of
// its consumer faults: nil when one never completed (a gate must not read
// that as instant); a group without a consumer fault is absent.
func (vr *variantRun) faultResults(start time.Time) ([]report.FaultResult, map[string]*float64) {
	vr.faultsMu.Lock()
	defer vr.faultsMu.Unlock()
	var out []report.FaultResult
	worst := map[string]*float64{}
	for _, fr := range vr.faults {
		r := report.FaultResult{Kind: fr.spec.Kind, Group: fr.spec.Group, Instance: fr.spec.Instance, Hits: fr.hits}
		if !fr.at.IsZero() {
			r.AtS = round3(fr.at.Sub(start).Seconds())
		}
		switch {
		case fr.err != nil:
			r.Error = fr.err.Error()
		case broker.IsBrokerFault(fr.spec.Kind), isSpike(fr.spec) && fr.done:
			// no failover: a broker fault is measured by its hits, a
			// spike by the group's lag and rebalances
		case fr.at.IsZero():
			r.Error = "not executed before the end of the run"
		case fr.done:
			r.FailoverMs = report.Float(round3(float64(fr.failover.Microseconds()) / 1000))
		default:
			r.Error = "no failover before the end of the run"
		}
		if !broker.IsBrokerFault(fr.spec.Kind) && fr.spec.Kind != faultJoin && !isSpike(fr.spec) {
			w, seen := worst[fr.spec.Group]
			switch {
			case !seen:
				worst[fr.spec.Group] = r.FailoverMs
			case w == nil || r.FailoverMs == nil:
				worst[fr.spec.Group] = nil
			case *r.FailoverMs > *w:
				worst[fr.spec.Group] = r.FailoverMs
			}
		}
		out = append(out, r)
	}
	return out, worst
}

// member returns the live member with index idx.
func (g *group) member(idx int) *member {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.members {
		if m.idx == idx && !m.retired {
			return m
		}
	}
	return nil
}

// retire marks m as gone; its figures stay with the group.
func (g *group) retire(m *member) {
	g.mu.Lock()
	m.retired = true
	g.mu.Unlock()
}

// ownedBy lists the partitions m processed most recently among the
// members: the ones that become orphans when m goes.
func (g *group) ownedBy(m *member) []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []int
	for p := range m.lastSeen {
		mine := m.lastSeen[p].Load()
		if mine == 0 {
			continue
		}
		owner := true
		for _, o := range g.members {
			if o != m && o.lastSeen[p].Load() > mine {
				owner = false
				break
			}
		}
		if owner {
			out = append(out, p)
		}
	}
	return out
}

// lastSeenBy is the latest time a member other than except processed a
// message of partition p. The faulted member itself counts only after a
// stall, once it is back: a leaving member still drains what it had
// fetched, which is not a handover.
func (g *group) lastSeenBy(p int, except *member, stall bool) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var t int64
	for _, m := range g.members {
		if m == except && (!stall || m.stalled.Load()) {
			continue
		}
		if v := m.lastSeen[p].Load(); v > t {
			t = v
		}
	}
	return t
}
