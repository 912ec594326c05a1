package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/report/verdict"
	"github.com/kbench/kbench/workloads/runner"
)

// TestUnacknowledgedAtTheEnd: when the broker stops acknowledging near
// the end (every produce request held for a minute), the bounded flush
// ends with messages in flight: the run still completes, counts them in
// produce.unacknowledged (not as errors, not as lost) and says so.
func TestUnacknowledgedAtTheEnd(t *testing.T) {
	const yaml = `
name: backlog
duration: 3s
topic: {partitions: 2}
workload: {rate: 1000, message: {size: 100}}
producer: {acks: all, linger: 2ms}
consumers:
  - {group: g, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
faults: [{at: 2s, kind: produce-latency, latency: 60s}]
`
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var log strings.Builder
	start := time.Now()
	res, err := runner.Run(ctx, plan(t, yaml), runner.Options{Log: &log})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("run failed: %v\n%s", err, log.String())
	}
	v := res.Variants[0]
	if v.Produce.Unacknowledged == 0 {
		t.Fatalf("produce.unacknowledged = 0 with every produce request held from 2s on\n%s", log.String())
	}
	if v.Produce.Errors != 0 {
		t.Errorf("produce.errors = %d: unacknowledged messages are not errors", v.Produce.Errors)
	}
	// Acknowledged in the first two seconds, about 2000; the last second
	// (about 1000) never acknowledged.
	if v.Produce.Messages < 1000 || v.Produce.Messages > 2600 {
		t.Errorf("produce.messages = %d, want about 2000", v.Produce.Messages)
	}
	if v.Delivery == nil || v.Delivery.Lost == nil || *v.Delivery.Lost != 0 {
		t.Errorf("delivery %+v: unacknowledged messages are not lost", v.Delivery)
	}
	if !strings.Contains(log.String(), "counted in produce.unacknowledged") {
		t.Errorf("the log does not say the flush ended with messages in flight:\n%s", log.String())
	}
	found := false
	for _, n := range verdict.Notes(res) {
		found = found || strings.Contains(n, "still unacknowledged")
	}
	if !found {
		t.Errorf("no note about unacknowledged messages in %q", verdict.Notes(res))
	}
	t.Logf("%d acknowledged, %d unacknowledged; run took %s", v.Produce.Messages, v.Produce.Unacknowledged, took.Round(time.Millisecond))
}
