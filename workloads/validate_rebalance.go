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

// repartitionAt checks topic.repartition_at: a moment of the produce phase
// at which the topic really grows to topic.repartition partitions.
func (c *checker) repartitionAt() {
	t := c.e.Topic
	at := t.RepartitionAt
	if at == 0 || t.Existing != "" {
		return
	}
	const p = "topic.repartition_at"
	end := c.e.Warmup + c.e.Duration
	switch {
	case at < 0:
		c.errf(p, "must not be negative (0: off)")
	case t.Repartition <= t.Partitions:
		c.errf(p, "needs topic.repartition, the partition count to grow to (more than topic.partitions, %d)", t.Partitions)
	case at >= end:
		c.errf(p, "%s is after the run ends (warmup + duration = %s)", at, end)
	}
	for i, g := range c.e.Consumers {
		if g.Commit == "transactional" {
			c.errf(p, "not with consumers.%d.commit transactional: its output topic keeps the input's partition count", i)
			return
		}
	}
}
