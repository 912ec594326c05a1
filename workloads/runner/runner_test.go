package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/runner"
)

func plan(t testing.TB, yaml string, sets ...string) *workloads.Plan {
	t.Helper()
	p, err := workloads.LoadBytes("test.yaml", []byte(yaml), sets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const basic = `
name: basic
duration: 2s
topic: {partitions: 6}
workload:
  rate: 3000
  message: {size: 100}
  keying: {strategy: path}
producer: {instances: 2, linger: 2ms, acks: all}
consumers:
  - {group: g1, instances: 2, session_timeout: 2s, heartbeat_interval: 300ms}
  - {group: g2, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
`

// TestRunEndToEnd drives real kafka-go producers and consumer groups against
// the embedded broker over TCP and checks that every figure adds up.
func TestRunEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := runner.Run(ctx, plan(t, basic), runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Broker.Kind != "embedded" || len(res.Variants) != 1 {
		t.Fatalf("complete=%v broker=%q variants=%d", res.Complete, res.Broker.Kind, len(res.Variants))
	}
	v := res.Variants[0]
	n := v.Produce.Messages
	// 3000/s for 2s, give or take scheduling at the edges.
	if n < 5000 || n > 6100 {
		t.Fatalf("produce.messages = %d, want about 6000", n)
	}
	if v.Produce.Errors != 0 {
		t.Fatalf("produce.errors = %d", v.Produce.Errors)
	}
	var sum int64
	for _, p := range v.Partitions {
		sum += p.Messages
		if val(p.BrokerMessages) != p.Messages {
			t.Errorf("partition %d: broker has %d messages, producer counted %d", p.Partition, val(p.BrokerMessages), p.Messages)
		}
	}
	if sum != n {
		t.Fatalf("partition messages sum to %d, produce.messages = %d", sum, n)
	}
	if got := v.Produce.Latency.Count; got != n {
		t.Fatalf("produce latency count %d, want %d", got, n)
	}
	if len(v.Consume.Groups) != 2 {
		t.Fatalf("groups: %d", len(v.Consume.Groups))
	}
	for _, g := range v.Consume.Groups {
		if g.Messages != n {
			t.Errorf("group %s consumed %d of %d acknowledged", g.Group, g.Messages, n)
		}
		if val(g.Delivery.Lost) != 0 || g.Delivery.Duplicated != 0 || g.Delivery.Reordered != 0 {
			t.Errorf("group %s delivery %+v", g.Group, g.Delivery)
		}
		if g.Lag.Final != 0 {
			t.Errorf("group %s final lag %d", g.Group, g.Lag.Final)
		}
	}
	if v.E2E.Latency.Count != 2*n {
		t.Fatalf("e2e count %d, want %d (two groups)", v.E2E.Latency.Count, 2*n)
	}
	if v.Produce.Throughput.TargetMsgsPerS != 3000 {
		t.Fatalf("target rate %v", v.Produce.Throughput.TargetMsgsPerS)
	}
	if v.Produce.LatencyCorrected.P50 < v.Produce.Latency.P50 {
		t.Fatalf("corrected p50 %v below service p50 %v", v.Produce.LatencyCorrected.P50, v.Produce.Latency.P50)
	}
	if v.Keys.Distinct == 0 || len(v.Keys.Top) == 0 {
		t.Fatalf("keys: %+v", v.Keys)
	}

	// The histograms in the result decode to the same counts.
	h, err := recorder.DecodeHistogram(v.Histograms["e2e"])
	if err != nil {
		t.Fatal(err)
	}
	if h.Count() != 2*n {
		t.Fatalf("decoded e2e histogram count %d", h.Count())
	}

	// JSON round trip.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back report.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) || back.Variants[0].Produce != v.Produce || !reflect.DeepEqual(back.Variants[0].Partitions, v.Partitions) {
		t.Fatalf("result does not survive a JSON round trip:\n%s\n%s", b, b2)
	}
}

// TestUnreachableBroker fails fast with the address named.
func TestUnreachableBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := runner.Run(ctx, plan(t, basic), runner.Options{Brokers: []string{"127.0.0.1:1"}, ConnectTimeout: 3 * time.Second})
	if err == nil {
		t.Fatal("no error against a closed port")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Fatalf("took %s to fail", el)
	}
	if want := "127.0.0.1:1"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %s", err, want)
	}
}
