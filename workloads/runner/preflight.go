package runner

import (
	"fmt"
	"runtime"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/resources"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/pace"
)

// Preflight checks what only the runner knows (which drivers and commit
// modes exist, what the target cluster can do, whether the run fits in
// this machine's memory and Kafka's limits) before any load is sent. Its
// errors are configuration errors.
func Preflight(plan *workloads.Plan, opt Options) error {
	if err := preflight(plan, opt); err != nil {
		return err
	}
	// Memory is only checked once the plan is otherwise runnable: each
	// error names the field that sizes it.
	m := resources.Probe()
	if opt.Machine != nil {
		m = *opt.Machine
	}
	embedded := func(e *workloads.Experiment) bool { return !external(e, opt) }
	if errs := resources.CheckPlan(plan, embedded, m); len(errs) > 0 {
		return errs
	}
	// What fits in memory may still be more than a driver can serve.
	for _, v := range plan.Variants {
		if err := driver.CheckScale(v.Exp.Producer.Driver, scaleOf(v.Exp)); err != nil {
			return fmt.Errorf("variant %s: %w", v.Name, err)
		}
	}
	return nil
}

// HostWarning is a warning for an experiment run on the embedded broker
// whose paced rate this host's cores cannot serve at the measured CPU per
// message (driver.CPUWarning): the broker shares the cores with the
// clients, and such a run measures the host. "" when it fits.
func HostWarning(exp *workloads.Experiment) string {
	return driver.CPUWarning(exp.Producer.Driver, scaleOf(exp), runtime.NumCPU())
}

// external reports whether exp runs on an external cluster.
func external(exp *workloads.Experiment, opt Options) bool {
	return len(opt.Brokers) > 0 || (exp.Cluster != nil && len(exp.Cluster.Brokers) > 0)
}

func preflight(plan *workloads.Plan, opt Options) error {
	sh := opt.Shard
	if sh.Count < 0 || (sh.Count > 0 && (sh.Index < 0 || sh.Index >= sh.Count)) {
		return fmt.Errorf("--shard %d/%d: want I/N with 0 <= I < N", sh.Index, sh.Count)
	}
	for _, v := range plan.Variants {
		exp := v.Exp
		external := external(exp, opt)
		if err := existingPreflight(v, external, sh); err != nil {
			return err
		}
		if sh.Sharded() {
			if !external {
				return fmt.Errorf("variant %s: a sharded run needs a shared cluster (--brokers or cluster.brokers); each host's embedded broker would be a separate run", v.Name)
			}
			if k := exp.Producer.Instances; k < sh.Count {
				return fmt.Errorf("variant %s: producer.instances is %d, fewer than the %d shards (each shard runs producers j with j %% N == I): use --set producer.instances=%d or more", v.Name, k, sh.Count, sh.Count)
			}
			if exp.Topic.RepartitionAt > 0 {
				return fmt.Errorf("variant %s: topic.repartition_at is not supported in a sharded run (every shard would grow the topic and switch its producers on its own); run it unsharded", v.Name)
			}
			if len(exp.Faults) > 0 {
				return fmt.Errorf("variant %s: faults are not supported in a sharded run (a failover is completed by members on other hosts); run faults unsharded", v.Name)
			}
		}
		for _, g := range exp.Consumers {
			if g.Commit == "transactional" && exp.Producer.Driver != driver.FranzGo {
				return fmt.Errorf("variant %s: consumers[%s].commit transactional needs producer.driver franz-go; kafka-go supports auto, after-process and before-process", v.Name, g.Group)
			}
		}
		for _, f := range exp.Faults {
			if broker.IsBrokerFault(f.Kind) && external {
				return fmt.Errorf("variant %s: fault %s needs the embedded broker (it is injected inside it), not an external cluster", v.Name, f.Kind)
			}
		}
	}
	return nil
}

// scaleOf is what exp asks of its driver (the peak rate per producer is 0
// when the shape does not parse: validation reports that).
func scaleOf(exp *workloads.Experiment) driver.Scale {
	n := max(exp.Producer.Instances, 1)
	shape, _ := pace.FromSpec(exp.Workload.Shape, exp.Workload.Rate, 1/float64(n))
	parts := exp.Topic.Partitions
	if exp.Topic.RepartitionAt > 0 {
		parts = max(parts, exp.Topic.Repartition) // the topic grows to it
	}
	return driver.Scale{
		Partitions: parts,
		Groups:     len(exp.Consumers),
		Producers:  n,
		BatchSize:  exp.Producer.BatchSize,
		PeakRate:   pace.Peak(shape),
		Linger:     exp.Producer.Linger.D(),
	}
}

// needsBrokers is how many embedded brokers the plan needs: a leader move
// needs somewhere to move to.
func needsBrokers(plan *workloads.Plan) int {
	for _, v := range plan.Variants {
		for _, f := range v.Exp.Faults {
			if f.Kind == broker.FaultLeaderMove {
				return 3
			}
		}
	}
	return 1
}
