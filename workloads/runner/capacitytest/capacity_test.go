// Package capacitytest holds the capacity search's end-to-end test: about
// a dozen probes of a consumer group whose capacity is known. It is a
// package of its own so that `go test ./...` runs it beside the runner's
// other tests instead of after them (its probes mostly wait: the members
// sleep per message).
package capacitytest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/runner"
)

func plan(t testing.TB, yaml string) *workloads.Plan {
	t.Helper()
	p, err := workloads.LoadBytes("test.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func probeLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "search ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// capacityExp: six members that each sleep 20ms per message, one per
// partition: the group processes at most 6 x 50 = 300 msg/s, and only
// when the load spreads over every partition.
const capacityExp = `
name: cap
warmup: 2s
duration: 5s
drain: 1s
topic: {partitions: 6}
workload:
  message: {size: 100}
consumers:
  - {group: g, instances: 6, processing: {delay: 20ms}, session_timeout: 3s, heartbeat_interval: 300ms}
search: {start: 75, max: 1200, precision: 0.1, max_time: 4m}
matrix:
  workload.keying.strategy: [random, service]
`

// TestSearchFindsConsumerCapacity: with random keys the search finds the
// group's processing capacity (300 msg/s) within 20%; with service keys,
// whose hottest service alone is ~46% of the traffic on one member's
// partition, a clearly lower one. Each answer is confirmed and limited by
// the group's growing lag.
func TestSearchFindsConsumerCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search runs ~a dozen probes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := runner.Run(ctx, plan(t, capacityExp), runner.Options{Log: &log})
	t.Log(probeLines(log.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Variants) != 2 {
		t.Fatalf("complete=%v variants=%d", res.Complete, len(res.Variants))
	}
	got := map[string]float64{}
	for _, v := range res.Variants {
		s := v.Search
		if s == nil || s.MaxSustainableMsgsPerS == nil {
			t.Fatalf("%s: no answer: %+v", v.Name, s)
		}
		got[v.Name] = *s.MaxSustainableMsgsPerS
		if !strings.HasPrefix(s.LimitedBy, "lag growing: group g") || s.ClientLimited {
			t.Errorf("%s: limited by %q (client-limited %v), want the group's lag", v.Name, s.LimitedBy, s.ClientLimited)
		}
		if len(s.Probes) < 3 || !s.Probes[len(s.Probes)-1].Confirm {
			t.Errorf("%s: %d probes, last confirm=%v", v.Name, len(s.Probes), s.Probes[len(s.Probes)-1].Confirm)
		}
	}
	if r := got["strategy=random"]; r < 240 || r > 360 {
		t.Errorf("random keys: %v msg/s, want 300 within 20%%", r)
	}
	if r, s := got["strategy=random"], got["strategy=service"]; s > 0.6*r {
		t.Errorf("service keys: %v msg/s, want clearly below random keys' %v", s, r)
	}
}
