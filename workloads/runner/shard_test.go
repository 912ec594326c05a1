package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/workloads/runner"
)

const sharded = `
name: sharded
duration: 2s
warmup: 500ms
drain: 10s
topic: {partitions: 6}
workload:
  rate: 3000
  message: {size: 100}
  keying: {strategy: path}
producer: {instances: 3, linger: 2ms, acks: all}
consumers:
  - {group: spread, instances: 2, commit: after-process, session_timeout: 2s, heartbeat_interval: 300ms}
  - {group: one, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
gates:
  - delivery.lost == 0
`

// TestShardedRun runs two shards of one run at once against one broker, as
// two hosts would, and merges them: the merge must see exactly what the
// broker holds and what the groups consumed across shards.
func TestShardedRun(t *testing.T) {
	emb, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := plan(t, sharded)
	startAt := time.Now().Add(2500 * time.Millisecond)
	shards := make([]*report.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range shards {
		opt := runner.Options{Brokers: emb.Addrs(), Shard: runner.Shard{Index: i, Count: 2, StartAt: startAt}}
		if err := runner.Preflight(p, opt); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			shards[i], errs[i] = runner.Run(ctx, plan(t, sharded), opt)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	for i, r := range shards {
		v := r.Variants[0]
		st := v.DeliveryState
		if r.Shard == "" || st == nil || !st.Drained || !st.OffsetsKnown || len(st.Gates) != 1 {
			t.Fatalf("shard %d: shard %q state %+v", i, r.Shard, st)
		}
		if v.Delivery.Lost != nil || v.Consume.Groups[0].Delivery.Lost != nil {
			t.Errorf("shard %d reports lost %d: a shard cannot know", i, val(v.Delivery.Lost))
		}
		if len(v.Gates) != 0 {
			t.Errorf("shard %d evaluated gates %+v", i, v.Gates)
		}
		// Producers 0 and 2 on shard 0, producer 1 on shard 1.
		if want := 2 - i; v.Config.Producers != want {
			t.Errorf("shard %d ran %d producers, want %d", i, v.Config.Producers, want)
		}
		if v.Produce.Messages == 0 {
			t.Errorf("shard %d produced nothing", i)
		}
		t.Logf("shard %s: produced %d, group spread consumed %d (members %d), duration %.3fs", r.Shard, v.Produce.Messages,
			v.Consume.Groups[0].Messages, st.Groups[0].Members, v.DurationS)
	}
	if a, b := shards[0].Variants[0].DeliveryState.Groups[1].Members, shards[1].Variants[0].DeliveryState.Groups[1].Members; a != 1 || b != 0 {
		t.Errorf("group one members: %d and %d, want 1 and 0", a, b)
	}

	m, err := merge.Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Variants[0]
	n := v.Produce.Messages
	// 3000/s for 2 s over both shards.
	if n < 5000 || n > 6100 {
		t.Errorf("merged produce.messages = %d, want about 6000", n)
	}
	var broker int64
	for _, p := range v.Partitions {
		broker += val(p.BrokerMessages)
		if val(p.BrokerMessages) != p.Messages {
			t.Errorf("partition %d: broker holds %d measured messages, the shards counted %d", p.Partition, val(p.BrokerMessages), p.Messages)
		}
	}
	if broker != n {
		t.Errorf("broker holds %d, merged produce.messages %d", broker, n)
	}
	if v.Config.Producers != 3 || v.Produce.Throughput.TargetMsgsPerS < 2999 || v.Produce.Throughput.TargetMsgsPerS > 3001 {
		t.Errorf("merged config %+v target %v", v.Config, v.Produce.Throughput.TargetMsgsPerS)
	}
	for _, g := range v.Consume.Groups {
		if val(g.Delivery.Lost) != 0 || g.Delivery.Duplicated != 0 {
			t.Errorf("group %s: delivery %+v", g.Group, g.Delivery)
		}
		if g.Messages != n {
			t.Errorf("group %s consumed %d of %d", g.Group, g.Messages, n)
		}
	}
	if val(v.Delivery.Lost) != 0 || len(v.Gates) != 1 || !v.Gates[0].Pass || !m.Passed {
		t.Errorf("merged delivery %+v gates %+v passed %v", v.Delivery, v.Gates, m.Passed)
	}
	if v.Produce.Latency.Count != n {
		t.Errorf("merged latency count %d, want %d", v.Produce.Latency.Count, n)
	}
	// e2e rests only on messages produced and consumed on one shard (one
	// clock): group "spread" consumes on both shards, so some of what it
	// consumed crossed hosts and is not in its e2e; it says so.
	spread := v.Consume.Groups[0]
	t.Logf("group %s: e2e on %d of %d consumed messages", spread.Group, spread.Latency.Count, spread.Messages)
	if !v.E2E.SameClockOnly || spread.Latency.Count == 0 || spread.Latency.Count >= spread.Messages {
		t.Errorf("e2e same clock %v, %d samples of %d consumed: want only same-shard messages", v.E2E.SameClockOnly, spread.Latency.Count, spread.Messages)
	}
}

func TestShardPreflight(t *testing.T) {
	p := plan(t, sharded)
	if err := runner.Preflight(p, runner.Options{Brokers: []string{"k:9092"}, Shard: runner.Shard{Index: 0, Count: 4}}); err == nil || !strings.Contains(err.Error(), "producer.instances=4") {
		t.Errorf("3 producers over 4 shards: %v", err)
	}
	if err := runner.Preflight(p, runner.Options{Brokers: []string{"k:9092"}, Shard: runner.Shard{Index: 2, Count: 2}}); err == nil {
		t.Error("shard 2/2 passed preflight")
	}
	if err := runner.Preflight(p, runner.Options{Shard: runner.Shard{Index: 0, Count: 2}}); err == nil || !strings.Contains(err.Error(), "shared cluster") {
		t.Errorf("sharded on the embedded broker: %v", err)
	}
}
