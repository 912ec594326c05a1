package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/workloads"
)

// processingDelay is the member's per-message processing time now: a
// processing-spike's delay while one is on (the member's own, else the
// group's), the configured processing delay otherwise.
func (m *member) processingDelay() time.Duration {
	if d := m.spike.Load(); d > 0 {
		return time.Duration(d)
	}
	if d := m.g.spike.Load(); d > 0 {
		return time.Duration(d)
	}
	return m.g.cfg.Processing.Delay.D()
}

// execSpike raises the processing time of one member (fault instance) or
// of the whole group (no instance: members that join meanwhile too) to
// the fault's delay for its duration: a dependency that slows down. It
// returns when the spike is over or ctx ends.
func (vr *variantRun) execSpike(ctx context.Context, fr *faultRun) {
	f := fr.spec
	g := fr.g
	var set func(int64)
	if f.WholeGroup {
		set = g.spike.Store
	} else {
		m := g.member(f.Instance)
		if m == nil {
			fr.err = fmt.Errorf("fault %s: group %q has no live instance %d", f.Kind, f.Group, f.Instance)
			return
		}
		set = m.spike.Store
	}
	set(int64(f.Delay.D()))
	fr.done = true
	t := time.NewTimer(f.Duration.D())
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	set(0)
}

// isSpike reports whether a fault is a processing-spike (it has no
// failover: nothing leaves the group by itself).
func isSpike(f workloads.Fault) bool { return f.Kind == workloads.FaultProcessingSpike }
