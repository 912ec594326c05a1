package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/workloads/runner"
)

// wide is the default driver (kafka-go) on a 1,000-partition topic with a
// group of four: thin traffic on every partition, the case where the Writer
// used to open a connection per partition and the Readers to set their
// partitions up again and again.
const wide = `
name: wide
duration: 2s
drain: 20s
topic: {partitions: 1000}
workload:
  rate: 5000
  message: {size: 200}
  keying: {strategy: random}
consumers:
  - {group: wide, instances: 4, commit: after-process, session_timeout: 20s, heartbeat_interval: 1s}
`

// TestWideTopicEndToEnd: on 1,000 partitions with kafka-go, every message
// produced is acknowledged, on the broker, and consumed by the group; none
// lost, none left behind.
func TestWideTopicEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	res, err := runner.Run(ctx, plan(t, wide), runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Variants) != 1 {
		t.Fatalf("complete=%v variants=%d error=%q", res.Complete, len(res.Variants), res.Error)
	}
	v := res.Variants[0]
	n := v.Produce.Messages
	if n == 0 || v.Produce.Errors != 0 {
		t.Fatalf("produce.messages %d, errors %d", n, v.Produce.Errors)
	}
	var onBroker int64
	for _, p := range v.Partitions {
		onBroker += val(p.BrokerMessages)
	}
	if onBroker != n {
		t.Errorf("broker holds %d messages, %d acknowledged", onBroker, n)
	}
	if len(v.Consume.Groups) != 1 {
		t.Fatalf("groups: %d", len(v.Consume.Groups))
	}
	g := v.Consume.Groups[0]
	if g.Messages < n || val(g.Delivery.Lost) != 0 || val(g.Delivery.Unconsumed) != 0 || g.Lag.Final != 0 {
		t.Errorf("group consumed %d of %d: lost %d, unconsumed %d, final lag %d", g.Messages, n, val(g.Delivery.Lost), val(g.Delivery.Unconsumed), g.Lag.Final)
	}
}

// TestPreflightScale: a kafka-go group on a topic wider than its Readers
// can set up is refused before any load, naming the driver that can.
func TestPreflightScale(t *testing.T) {
	p := plan(t, wide, "topic.partitions=5000")
	err := runner.Preflight(p, runner.Options{})
	if err == nil || !strings.Contains(err.Error(), "franz-go") || !strings.Contains(err.Error(), "25000000") {
		t.Fatalf("kafka-go groups on 5,000 partitions: %v", err)
	}
	if err := runner.Preflight(plan(t, wide, "topic.partitions=5000", "producer.driver=franz-go"), runner.Options{}); err != nil {
		t.Fatalf("franz-go on 5,000 partitions refused: %v", err)
	}
}
