package runner_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

func runOne(t *testing.T, yaml string, sets ...string) *report.Variant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := runner.Run(ctx, plan(t, yaml, sets...), runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Variants) != 1 {
		t.Fatalf("%d variants", len(res.Variants))
	}
	return &res.Variants[0]
}

// Consumers that cannot keep up (1 ms of work per message, 3000 msg/s for
// two members) so a crash always hits a member in the middle of a message.
const crashDuringWork = `
name: crash
duration: 1500ms
drain: 20s
topic: {partitions: 4}
workload: {rate: 3000, message: {size: 100}}
consumers:
  - group: g
    instances: 2
    commit: COMMIT
    processing: {delay: 1ms}
    session_timeout: 1s
    heartbeat_interval: 200ms
faults:
  - {at: 1s, kind: consumer-crash, group: g, instance: 0}
`

func TestCrashBeforeProcessIsAtMostOnce(t *testing.T) {
	v := runOne(t, crashDuringWork, "consumers.0.commit=before-process")
	d := v.Consume.Groups[0].Delivery
	t.Logf("produced %d, consumed %d, delivery %+v, faults %+v", v.Produce.Messages, v.Consume.Groups[0].Messages, d, v.Faults)
	if d.Duplicated != 0 {
		t.Errorf("at-most-once duplicated %d", d.Duplicated)
	}
	if val(d.Lost) == 0 {
		t.Errorf("a crash in the middle of committed-before-processing work lost nothing")
	}
	if val(d.Lost) > 10 {
		t.Errorf("lost %d: more than the messages the crashed member held", val(d.Lost))
	}
}

func TestCrashAfterProcessIsAtLeastOnce(t *testing.T) {
	v := runOne(t, crashDuringWork, "consumers.0.commit=after-process")
	g := v.Consume.Groups[0]
	t.Logf("produced %d, consumed %d, delivery %+v, faults %+v", v.Produce.Messages, g.Messages, g.Delivery, v.Faults)
	if val(g.Delivery.Lost) != 0 {
		t.Errorf("at-least-once lost %d", val(g.Delivery.Lost))
	}
	if g.Messages < v.Produce.Messages {
		t.Errorf("consumed %d of %d", g.Messages, v.Produce.Messages)
	}
	// Work processed since the last commit is processed again: duplicates
	// are allowed, and each one was counted once as consumed too.
	if g.Messages != v.Produce.Messages+g.Delivery.Duplicated {
		t.Errorf("consumed %d != produced %d + duplicated %d", g.Messages, v.Produce.Messages, g.Delivery.Duplicated)
	}
}

// TestAmbiguousWriteDuplicates: the broker appends, then answers
// REQUEST_TIMED_OUT; the producer's retry writes the records again.
func TestAmbiguousWriteDuplicates(t *testing.T) {
	v := runOne(t, `
name: ambiguous
duration: 2s
topic: {partitions: 3}
workload: {rate: 1000, message: {size: 100}}
producer: {acks: all, linger: 2ms}
consumers:
  - {group: g, instances: 1, session_timeout: 1s, heartbeat_interval: 200ms}
faults:
  - {at: 500ms, for: 1s, kind: produce-timeout, rate: 0.3}
`)
	g := v.Consume.Groups[0]
	t.Logf("produced %d errors %d, consumed %d, delivery %+v", v.Produce.Messages, v.Produce.Errors, g.Messages, g.Delivery)
	if val(g.Delivery.Lost) != 0 {
		t.Errorf("lost %d acknowledged messages", val(g.Delivery.Lost))
	}
	if g.Delivery.Duplicated == 0 {
		t.Errorf("retries after ambiguous writes produced no duplicates")
	}
	var broker int64
	for _, p := range v.Partitions {
		broker += val(p.BrokerMessages)
	}
	if broker <= v.Produce.Messages {
		t.Errorf("broker holds %d records for %d acknowledged messages: no record was written twice", broker, v.Produce.Messages)
	}
}

// TestCrashVersusLeaveFailover: a crashed member is noticed only when its
// session times out; a member that leaves is replaced at once.
func TestCrashVersusLeaveFailover(t *testing.T) {
	v := runOne(t, `
name: failover
duration: 9s
topic: {partitions: 4}
workload: {rate: 400, message: {size: 100}}
consumers:
  - {group: crash, instances: 2, session_timeout: 6s, heartbeat_interval: 500ms}
  - {group: leave, instances: 2, session_timeout: 6s, heartbeat_interval: 500ms}
faults:
  - {at: 1s, kind: consumer-crash, group: crash, instance: 0}
  - {at: 1s, kind: consumer-leave, group: leave, instance: 0}
`)
	byGroup := map[string]report.Group{}
	for _, g := range v.Consume.Groups {
		byGroup[g.Group] = g
	}
	t.Logf("faults %+v", v.Faults)
	crash, leave := byGroup["crash"], byGroup["leave"]
	if crash.Rebalances != 1 {
		t.Errorf("crash group: %d rebalances, want 1", crash.Rebalances)
	}
	// The session timer runs from the last heartbeat before the crash, up
	// to one heartbeat interval earlier.
	if valF(crash.FailoverMs) < 6000-500 {
		t.Errorf("crash failover %.0f ms, shorter than the 6 s session timeout less one heartbeat interval", valF(crash.FailoverMs))
	}
	if valF(leave.FailoverMs) <= 0 || valF(leave.FailoverMs) > valF(crash.FailoverMs)/2 {
		t.Errorf("leave failover %.0f ms vs crash %.0f ms: a clean leave should fail over much faster", valF(leave.FailoverMs), valF(crash.FailoverMs))
	}
	for _, g := range []report.Group{crash, leave} {
		if val(g.Delivery.Lost) != 0 {
			t.Errorf("group %s lost %d", g.Group, val(g.Delivery.Lost))
		}
	}
}

// TestHotKeyLag: a hot key overloads its partition's consumer; the lag
// piles up there.
func TestHotKeyLag(t *testing.T) {
	v := runOne(t, `
name: hot
duration: 3s
topic: {partitions: 6}
workload:
  rate: 1200
  message: {size: 100}
  keying: {strategy: service}
  traffic: {popularity: {kind: uniform}, hot: {at: 0s, for: 10s, key: payment-service, share: 0.7}}
consumers:
  - {group: g, instances: 3, processing: {delay: 1ms}, session_timeout: 2s, heartbeat_interval: 300ms}
`)
	g := v.Consume.Groups[0]
	lags := append([]int64(nil), g.PartitionLag...)
	hot, hotLag := 0, int64(-1)
	for p, l := range g.PartitionLag {
		if l > hotLag {
			hot, hotLag = p, l
		}
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	median := (lags[len(lags)/2-1] + lags[len(lags)/2]) / 2
	t.Logf("partition lag %v, load %v", g.PartitionLag, v.Partitions)
	var busiest int
	for _, p := range v.Partitions {
		if p.Messages > v.Partitions[busiest].Messages {
			busiest = p.Partition
		}
	}
	if hot != busiest {
		t.Errorf("max lag on partition %d, but the hot key's partition is %d", hot, busiest)
	}
	if hotLag < 5*max(median, 1) {
		t.Errorf("hot partition lag %d < 5 x median %d", hotLag, median)
	}
}

// TestStallAndJoin: a stalled member (silent sockets, no processing) is
// expelled after its session timeout and rejoins when it wakes; a joining
// member scales the group out. Both are rebalances, and nothing is lost.
// (The joining group has a session long enough that a busy machine does
// not expel a member between heartbeats: exactly the join rebalances.)
func TestStallAndJoin(t *testing.T) {
	v := runOne(t, `
name: stall-join
duration: 7s
topic: {partitions: 4}
workload: {rate: 400, message: {size: 100}}
consumers:
  - {group: stall, instances: 2, session_timeout: 1s, heartbeat_interval: 200ms}
  - {group: join, instances: 1, session_timeout: 4s, heartbeat_interval: 300ms}
faults:
  - {at: 1s, kind: consumer-stall, group: stall, instance: 0, for: 1500ms}
  - {at: 1s, kind: consumer-join, group: join}
`)
	t.Logf("faults %+v", v.Faults)
	for _, g := range v.Consume.Groups {
		t.Logf("group %s: rebalances %d, failover %.0f ms, consumed %d, delivery %+v", g.Group, g.Rebalances, valF(g.FailoverMs), g.Messages, g.Delivery)
		if val(g.Delivery.Lost) != 0 {
			t.Errorf("group %s lost %d", g.Group, val(g.Delivery.Lost))
		}
		if g.Messages < v.Produce.Messages {
			t.Errorf("group %s consumed %d of %d", g.Group, g.Messages, v.Produce.Messages)
		}
		switch g.Group {
		case "stall":
			// Expelled after the session timeout, back after the stall:
			// two rebalances, or one on a busy machine, where the
			// expulsion's round is still open when the member rejoins
			// and both land in one generation. The failover below shows
			// the expulsion either way.
			if g.Rebalances < 1 {
				t.Errorf("stall: %d rebalances, want at least 1", g.Rebalances)
			}
			if valF(g.FailoverMs) < 800 || valF(g.FailoverMs) > 2500 {
				t.Errorf("stall: failover %.0f ms, want about the 1 s session timeout", valF(g.FailoverMs))
			}
		case "join":
			if g.Rebalances != 1 {
				t.Errorf("join: %d rebalances, want 1", g.Rebalances)
			}
		}
	}
}

// TestFailoverNotCompleted: a crash whose session outlives the run never
// fails over; the group says so (null: not measured) rather than
// reporting 0 ms, and the fault says why.
func TestFailoverNotCompleted(t *testing.T) {
	v := runOne(t, `
name: no-failover
duration: 2s
drain: 2s
topic: {partitions: 2}
workload: {rate: 200, message: {size: 100}}
consumers:
  - {group: g, instances: 2, session_timeout: 30s, heartbeat_interval: 1s}
faults:
  - {at: 500ms, kind: consumer-crash, group: g, instance: 0}
`)
	if f := v.Faults[0]; f.FailoverMs != nil || f.Error == "" {
		t.Errorf("fault failover %.0f ms (error %q), want null with a reason", valF(f.FailoverMs), f.Error)
	}
	if g := v.Consume.Groups[0].FailoverMs; g != nil {
		t.Errorf("group failover %.0f ms, want null", *g)
	}
}
