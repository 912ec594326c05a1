package runner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
)

// A processing spike on member 0: 100ms per message for 3s. With
// max_poll_records 50 a poll holds 5s of work, far past a 1s
// max_poll_interval.
const spikeRun = `
name: spike
duration: 4s
drain: 30s
topic: {partitions: 4}
workload: {rate: 400, message: {size: 100}}
producer: {driver: DRIVER}
consumers:
  - group: g
    instances: 2
    max_poll_records: 50
    session_timeout: 6s
    heartbeat_interval: 300ms
faults:
  - {at: 500ms, kind: processing-spike, group: g, instance: 0, duration: 3s, delay: 100ms}
`

func logGroup(t *testing.T, g report.Group) {
	t.Helper()
	t.Logf("rebalances %d, evictions %d, pause %.0f ms, lag max %d, log %+v", g.Rebalances, g.MaxPollEvictions, valF(g.RebalancePauseMs), g.Lag.Max, g.RebalanceLog)
}

// TestSpikePastMaxPollIntervalEvicts: a member whose processing between
// polls exceeds max_poll_interval leaves the group, which rebalances; the
// member rejoins; nothing is lost.
func TestSpikePastMaxPollIntervalEvicts(t *testing.T) {
	for _, drv := range []string{"kafka-go", "franz-go"} {
		t.Run(drv, func(t *testing.T) {
			v := runOne(t, spikeRun, "producer.driver="+drv, "consumers.0.max_poll_interval=1s")
			g := v.Consume.Groups[0]
			logGroup(t, g)
			if g.MaxPollEvictions < 1 {
				t.Errorf("no member was evicted for exceeding max_poll_interval")
			}
			if g.Rebalances < 1 || len(g.RebalanceLog) < 1 {
				t.Errorf("the group did not rebalance: %d generations, %d in the log", g.Rebalances, len(g.RebalanceLog))
			}
			if valF(g.RebalancePauseMs) <= 0 {
				t.Errorf("rebalance_pause_ms = %v after an eviction", g.RebalancePauseMs)
			}
			if val(g.Delivery.Lost) != 0 || g.Drained == nil || !*g.Drained {
				t.Errorf("lost %d, drained %v", val(g.Delivery.Lost), g.Drained)
			}
		})
	}
}

// TestSpikeWithoutMaxPollIntervalOnlyLags: the same spike without the
// limit builds lag, and the group never rebalances (both clients
// heartbeat in the background).
func TestSpikeWithoutMaxPollIntervalOnlyLags(t *testing.T) {
	v := runOne(t, spikeRun, "producer.driver=franz-go")
	g := v.Consume.Groups[0]
	logGroup(t, g)
	if g.Rebalances != 0 || len(g.RebalanceLog) != 0 || g.MaxPollEvictions != 0 {
		t.Errorf("rebalanced without max_poll_interval: %d generations, log %+v, %d evictions", g.Rebalances, g.RebalanceLog, g.MaxPollEvictions)
	}
	if g.Lag.Max < 100 {
		t.Errorf("lag max %d: a member slowed to 10 msg/s for 3s built no lag", g.Lag.Max)
	}
	if valF(g.RebalancePauseMs) != 0 {
		t.Errorf("rebalance_pause_ms = %v without a rebalance", valF(g.RebalancePauseMs))
	}
}

// Members join a busy 3-member group, one at a time (two joins, so one
// slow round does not decide the comparison).
const joinRun = `
name: join
duration: 5s
drain: 30s
topic: {partitions: 6}
workload: {rate: 900, message: {size: 100}}
producer: {driver: franz-go}
consumers:
  - group: g
    instances: 3
    processing: {delay: 4ms}
    max_poll_records: 100
    session_timeout: 6s
    heartbeat_interval: 300ms
faults:
  - {at: 1s, kind: processing-spike, group: g, instance: 0, duration: 4s, delay: 12ms}
  - {at: 1500ms, kind: consumer-join, group: g}
  - {at: 3500ms, kind: consumer-join, group: g}
`

// TestCooperativePausesLessThanEager: when a member joins, range (eager)
// takes every partition away from every member until the new assignment;
// cooperative-sticky moves only the new member's share. On a loaded host
// one join round can stall for seconds whatever the assignor, so the pair
// is measured up to three times: cooperative-sticky must come out clearly
// below range in one of them (an assignor that paused like range never
// would).
func TestCooperativePausesLessThanEager(t *testing.T) {
	var tries []string
	for attempt := 1; attempt <= 3; attempt++ {
		pause := map[string]float64{}
		for _, a := range []string{"range", "cooperative-sticky"} {
			v := runOne(t, joinRun, "consumers.0.assignor="+a)
			g := v.Consume.Groups[0]
			t.Logf("attempt %d, %s:", attempt, a)
			logGroup(t, g)
			if len(g.RebalanceLog) < 1 {
				t.Fatalf("%s: the join caused no rebalance in the log", a)
			}
			pause[a] = valF(g.RebalancePauseMs)
		}
		if pause["range"] <= 0 {
			t.Fatalf("range paused nothing when a member joined")
		}
		if pause["cooperative-sticky"] < pause["range"]*2/3 {
			return
		}
		tries = append(tries, fmt.Sprintf("%.0f against %.0f", pause["cooperative-sticky"], pause["range"]))
	}
	t.Errorf("cooperative-sticky paused not clearly below range (partition-ms, in each attempt): %s", strings.Join(tries, "; "))
}
