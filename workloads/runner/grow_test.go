package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

// The topic grows from 3 to 6 partitions 1s into a 3s run, under a
// two-member group; topic.keep leaves it on the broker to be looked at.
const growRun = `
name: grow
duration: 3s
drain: 20s
topic: {partitions: 3, repartition: 6, repartition_at: 1s, keep: true}
workload: {rate: 600, message: {size: 100}}
producer: {driver: DRIVER}
consumers:
  - group: g
    instances: 2
    session_timeout: 6s
    heartbeat_interval: 300ms
`

// TestRepartitionAtGrowsTheTopic: at repartition_at the topic really has
// 6 partitions, the producers place keys on the new ones, the group takes
// them up in a rebalance logged after the growth with its cause, and
// every acknowledged message is processed exactly once.
func TestRepartitionAtGrowsTheTopic(t *testing.T) {
	emb, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	adm, err := admin.New(admin.Options{Brokers: emb.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	for _, drv := range []string{"kafka-go", "franz-go"} {
		t.Run(drv, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			res, err := runner.Run(ctx, plan(t, growRun, "producer.driver="+drv), runner.Options{Brokers: emb.Addrs()})
			if err != nil {
				t.Fatal(err)
			}
			v := &res.Variants[0]
			g := v.Consume.Groups[0]
			logGroup(t, g)
			if n, err := adm.Partitions(ctx, v.Topic); err != nil || n != 6 {
				t.Fatalf("topic %s has %d partitions after the run (%v), want 6", v.Topic, n, err)
			}
			checkGrowth(t, v, g)
		})
	}
}

func checkGrowth(t *testing.T, v *report.Variant, g report.Group) {
	t.Helper()
	r := v.Repartitioned
	if r == nil || r.From != 3 || r.To != 6 || r.ProducersAtS == nil {
		t.Fatalf("repartitioned = %+v, want 3 -> 6 with every producer switched", r)
	}
	if r.AtS < 1 || *r.ProducersAtS < r.AtS {
		t.Errorf("grown at %.3fs, producers at %.3fs: before repartition_at (1s) or out of order", r.AtS, *r.ProducersAtS)
	}
	if len(v.Partitions) != 6 {
		t.Fatalf("%d partitions in the figures, want 6", len(v.Partitions))
	}
	load := make([]int64, 6)
	for p, part := range v.Partitions {
		load[p] = part.Messages
		if part.BrokerMessages == nil || *part.BrokerMessages != part.Messages {
			t.Errorf("partition %d: %d acknowledged, broker holds %v", p, part.Messages, part.BrokerMessages)
		}
		if p >= 3 && part.Messages == 0 {
			t.Errorf("partition %d (added) received nothing", p)
		}
	}
	if want := keying.ComputeSkew(load); v.Skew != want {
		t.Errorf("skew %+v is not over the 6 partitions' load (%+v)", v.Skew, want)
	}
	if len(v.Keys.PerPart) != 6 || len(g.PartitionLag) != 6 {
		t.Errorf("keys per partition %v, partition lag %v: want 6 each", v.Keys.PerPart, g.PartitionLag)
	}
	var grew *report.Rebalance
	for i := range g.RebalanceLog {
		if rb := &g.RebalanceLog[i]; rb.Cause == "repartition" {
			grew = rb
		}
	}
	if g.Rebalances < 1 || grew == nil {
		t.Fatalf("no rebalance took the new partitions up: %d generations, log %+v", g.Rebalances, g.RebalanceLog)
	}
	if grew.AtS < r.AtS || grew.PartitionsAdded != 3 || grew.Unfinished {
		t.Errorf("rebalance %+v: want it after the growth at %.3fs, 3 partitions added, finished", *grew, r.AtS)
	}
	if val(g.Delivery.Lost) != 0 || val(g.Delivery.Unconsumed) != 0 || g.Drained == nil || !*g.Drained {
		t.Errorf("lost %d, unconsumed %d, drained %v", val(g.Delivery.Lost), val(g.Delivery.Unconsumed), g.Drained)
	}
	// kafka-go commits after processing, asynchronously, and not on
	// revocation: a partition that changes owner may be processed again
	// from its last commit (at-least-once), counted as duplicated. Every
	// acknowledged message is processed, each duplicate counted once.
	if g.Messages != v.Produce.Messages+g.Delivery.Duplicated {
		t.Errorf("group processed %d messages (%d duplicated), %d were acknowledged", g.Messages, g.Delivery.Duplicated, v.Produce.Messages)
	}
}

// A sharded run cannot grow the topic: every shard would grow it and
// switch its own producers on its own.
func TestRepartitionAtNotSharded(t *testing.T) {
	p := plan(t, growRun, "producer.driver=kafka-go", "producer.instances=2")
	err := runner.Preflight(p, runner.Options{Brokers: []string{"k:9092"}, Shard: runner.Shard{Index: 0, Count: 2}})
	if err == nil || !strings.Contains(err.Error(), "topic.repartition_at is not supported in a sharded run") {
		t.Fatalf("preflight: %v", err)
	}
	if err := runner.Preflight(p, runner.Options{Brokers: []string{"k:9092"}}); err != nil {
		t.Fatalf("unsharded preflight: %v", err)
	}
}
