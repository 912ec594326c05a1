package runner_test

import (
	"testing"

	"github.com/kbench/kbench/workloads/traffic"
)

// TestRunMatchesKeysAnalysis: `kbench run` and `kbench keys` share one
// source of truth, so with the same seed and message count the broker's
// per-partition counts equal the offline analysis, strategy by strategy.
func TestRunMatchesKeysAnalysis(t *testing.T) {
	const yaml = `
name: same
seed: 7
duration: 2s
topic: {partitions: 5}
workload: {rate: 4000, messages: 3000, message: {size: 120}}
producer: {instances: 2}
consumers: []
`
	for _, s := range []string{"path", "composite", "salted", "random"} {
		p := plan(t, yaml, "workload.keying.strategy="+s)
		v := runOne(t, yaml, "workload.keying.strategy="+s)
		a, err := traffic.Simulate(p.Variants[0].Exp, 3000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if v.Produce.Messages != 3000 {
			t.Fatalf("%s: run acknowledged %d of 3000", s, v.Produce.Messages)
		}
		for i, part := range v.Partitions {
			if val(part.BrokerMessages) != a.Load[i] || part.Messages != a.Load[i] {
				t.Errorf("%s partition %d: broker %d, run %d, keys analysis %d", s, i, val(part.BrokerMessages), part.Messages, a.Load[i])
			}
		}
		if v.Keys.Distinct != a.Distinct {
			t.Errorf("%s: run saw %d distinct keys, analysis %d", s, v.Keys.Distinct, a.Distinct)
		}
	}
}

// TestGeneratorFallingBehind: asked for a rate it cannot reach, the
// generator falls behind its schedule, and the figures say so: achieved
// below target, a growing send delay, and corrected latency far above the
// service latency (coordinated omission made visible).
func TestGeneratorFallingBehind(t *testing.T) {
	v := runOne(t, `
name: behind
duration: 1500ms
topic: {partitions: 3}
workload: {rate: 20000000, message: {size: 100}}
producer: {max_in_flight: 2000, linger: 1ms}
consumers: []
`)
	p := v.Produce
	t.Logf("achieved %.0f of %.0f msg/s; latency p99 %.2f ms, corrected p99 %.2f ms, send delay p50 %.2f ms",
		p.Throughput.MsgsPerS, p.Throughput.TargetMsgsPerS, p.Latency.P99, p.LatencyCorrected.P99, p.SendDelay.P50)
	if p.Throughput.MsgsPerS > 0.5*p.Throughput.TargetMsgsPerS {
		t.Fatalf("achieved %.0f msg/s of an unreachable %.0f", p.Throughput.MsgsPerS, p.Throughput.TargetMsgsPerS)
	}
	if p.SendDelay.P50 < 100 {
		t.Errorf("send delay p50 %.2f ms: the generator's lag behind schedule is not visible", p.SendDelay.P50)
	}
	// Corrected latency is service latency plus the send delay: its tail
	// is above the service tail by a good part of the generator's lag.
	// (Not a fixed ratio: on a loaded machine the service tail grows too.)
	if p.LatencyCorrected.P99 < p.Latency.P99+p.SendDelay.P50/2 {
		t.Errorf("corrected p99 %.2f ms not far above service p99 %.2f ms (send delay p50 %.2f ms)", p.LatencyCorrected.P99, p.Latency.P99, p.SendDelay.P50)
	}
	// What was due but never sent is counted, and each such message is in
	// the send delay and corrected latency (at its delay at the end), so
	// the histograms hold every message the schedule asked for.
	due := int64(p.Throughput.TargetMsgsPerS * 1.5)
	t.Logf("unsent %d, send delay count %d, corrected count %d, acked %d", p.Unsent, p.SendDelay.Count, p.LatencyCorrected.Count, p.Messages)
	if p.Unsent < due/2 {
		t.Errorf("unsent %d of %d due", p.Unsent, due)
	}
	if p.SendDelay.Count < p.Unsent || p.LatencyCorrected.Count != p.Messages+p.Unsent {
		t.Errorf("send delay count %d, corrected count %d: unsent %d not recorded (acked %d)", p.SendDelay.Count, p.LatencyCorrected.Count, p.Unsent, p.Messages)
	}
	if p.SendDelay.Count < due-due/100 {
		t.Errorf("send delay holds %d of %d messages due", p.SendDelay.Count, due)
	}
}
