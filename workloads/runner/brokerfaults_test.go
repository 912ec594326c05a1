package runner_test

import (
	"testing"
)

// TestBrokerFaults injects each broker-side fault into the embedded broker
// and checks its effect in the figures.
func TestBrokerFaults(t *testing.T) {
	const base = `
name: broker-faults
duration: 2s
topic: {partitions: 3}
workload: {rate: 1000, message: {size: 100}}
producer: {acks: all, linger: 2ms}
consumers:
  - {group: g, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
`
	t.Run("produce-latency", func(t *testing.T) {
		// A broker answers one connection's requests in order, so 40 ms
		// per produce request caps a connection at 25 requests/s: one
		// partition and a 60 ms linger stay under it.
		v := runOne(t, base+"faults: [{at: 0s, kind: produce-latency, latency: 40ms}]\n",
			"topic.partitions=1", "workload.rate=200", "producer.linger=60ms")
		if v.Produce.Latency.P50 < 40 {
			t.Errorf("produce p50 %.2f ms under 40 ms of added latency", v.Produce.Latency.P50)
		}
		if v.Faults[0].Hits == 0 || val(v.Delivery.Lost) != 0 {
			t.Errorf("fault %+v, delivery %+v", v.Faults[0], v.Delivery)
		}
	})
	t.Run("fetch-latency", func(t *testing.T) {
		v := runOne(t, base+"faults: [{at: 0s, kind: fetch-latency, latency: 60ms}]\n")
		// A message waits for the next fetch to come back: uniformly up to
		// the added 60 ms.
		if v.E2E.Latency.P50 < 20 || v.E2E.Latency.P99 < 45 {
			t.Errorf("e2e p50 %.2f ms, p99 %.2f ms with 60 ms added to every fetch", v.E2E.Latency.P50, v.E2E.Latency.P99)
		}
		if v.Produce.Latency.P50 > 40 {
			t.Errorf("produce p50 %.2f ms: fetch latency leaked into produce", v.Produce.Latency.P50)
		}
	})
	t.Run("produce-error", func(t *testing.T) {
		// Every produce fails for 300 ms: the client retries through it.
		v := runOne(t, base+"faults: [{at: 500ms, for: 300ms, kind: produce-error}]\n")
		t.Logf("fault %+v, produce %d errors %d, p99 %.1f ms", v.Faults[0], v.Produce.Messages, v.Produce.Errors, v.Produce.Latency.P99)
		if v.Faults[0].Hits == 0 {
			t.Fatal("no produce request was refused")
		}
		if v.Produce.Latency.Max < 50 {
			t.Errorf("produce max %.1f ms: retries through a 300 ms outage should show", v.Produce.Latency.Max)
		}
		if val(v.Delivery.Lost) != 0 {
			t.Errorf("lost %d", val(v.Delivery.Lost))
		}
		// A refused produce is not appended: no duplicates, and every
		// acknowledged message is on the broker exactly once.
		var broker int64
		for _, p := range v.Partitions {
			broker += val(p.BrokerMessages)
		}
		if v.Delivery.Duplicated != 0 || broker != v.Produce.Messages {
			t.Errorf("duplicated %d, broker %d records for %d acknowledged", v.Delivery.Duplicated, broker, v.Produce.Messages)
		}
	})
	t.Run("leader-move", func(t *testing.T) {
		v := runOne(t, base+"faults: [{at: 1s, kind: leader-move}]\n")
		t.Logf("fault %+v, produce %d errors %d", v.Faults[0], v.Produce.Messages, v.Produce.Errors)
		if v.Faults[0].Hits != 3 || v.Faults[0].Error != "" {
			t.Errorf("fault %+v: want all 3 leaders moved", v.Faults[0])
		}
		if val(v.Delivery.Lost) != 0 || v.Consume.Groups[0].Messages < v.Produce.Messages {
			t.Errorf("delivery %+v, consumed %d of %d", v.Delivery, v.Consume.Groups[0].Messages, v.Produce.Messages)
		}
		if v.Produce.Messages < 1900 {
			t.Errorf("produced %d of ~2000 across the leader move", v.Produce.Messages)
		}
	})
}
