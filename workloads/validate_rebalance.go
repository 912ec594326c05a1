package workloads

import (
	"github.com/kbench/kbench/internal/driver"
)

// pollAndAssignor checks a group's max_poll_interval, max_poll_records and
// assignor, the assignor against what the chosen driver can do.
func (c *checker) pollAndAssignor(p string, g ConsumerGroup) {
	if g.MaxPollInterval < 0 {
		c.errf(p+".max_poll_interval", "must not be negative (0: off)")
	}
	c.positive(p+".max_poll_records", int64(g.MaxPollRecords))
	if g.Assignor == "" {
		return
	}
	if !c.enum(p+".assignor", g.Assignor, Assignors) {
		return
	}
	if err := driver.CheckAssignor(c.e.Producer.Driver, g.Assignor); err != nil {
		c.errf(p+".assignor", "%v", err)
	}
}

// spike checks a processing-spike fault (and that its fields appear on no
// other kind): it needs duration and delay; without instance it slows the
// whole group.
func (c *checker) spike(p string, f *Fault) {
	if f.Kind != FaultProcessingSpike {
		for _, k := range []string{"duration", "delay"} {
			if c.has(p + "." + k) {
				c.errf(p+"."+k, "does not apply to %s (only to %s)", f.Kind, FaultProcessingSpike)
			}
		}
		return
	}
	if c.has(p + ".for") {
		c.errf(p+".for", "%s takes duration, not for", f.Kind)
	}
	if f.Duration <= 0 {
		c.errf(p+".duration", "%s needs duration (how long processing stays slow, e.g. 10s)", f.Kind)
	}
	if f.Delay <= 0 {
		c.errf(p+".delay", "%s needs delay (the per-message processing time during the spike, e.g. 50ms)", f.Kind)
	}
	f.WholeGroup = !c.has(p + ".instance")
}
