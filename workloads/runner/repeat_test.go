package runner_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads/runner"
)

// TestRunRepeated runs two variants twice each on the embedded broker:
// the runs interleave, and each variant's figures are the medians of its
// two runs, with both runs' values kept and their histograms merged.
func TestRunRepeated(t *testing.T) {
	const exp = `
name: rep
duration: 1s
drain: 10s
repeat: 2
topic: {partitions: 3}
workload:
  rate: 1000
  message: {size: 100}
consumers:
  - {group: g, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
matrix:
  workload.keying.strategy: [path, service]
`
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var log bytes.Buffer
	res, err := runner.Run(ctx, plan(t, exp), runner.Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	order := regexp.MustCompile(`variant \d/4: (\S+) \(run (\d)/2\)`).FindAllStringSubmatch(log.String(), -1)
	want := [][2]string{{"strategy=path", "1"}, {"strategy=service", "1"}, {"strategy=path", "2"}, {"strategy=service", "2"}}
	if len(order) != 4 {
		t.Fatalf("runs logged:\n%s", log.String())
	}
	for i, w := range want {
		if order[i][1] != w[0] || order[i][2] != w[1] {
			t.Errorf("run %d: %s run %s, want %s run %s", i+1, order[i][1], order[i][2], w[0], w[1])
		}
	}
	if !res.Complete || len(res.Variants) != 2 || res.Variants[0].Name != "strategy=path" || res.Variants[1].Name != "strategy=service" {
		t.Fatalf("complete=%v variants=%d", res.Complete, len(res.Variants))
	}
	for _, v := range res.Variants {
		if v.Repeats == nil || v.Repeats.Runs != 2 {
			t.Fatalf("%s: repeats %+v", v.Name, v.Repeats)
		}
		msgs := v.Repeats.Figures["produce.messages"].Measured()
		if len(msgs) != 2 || msgs[0] < 500 || msgs[1] < 500 {
			t.Fatalf("%s: messages per run %v", v.Name, msgs)
		}
		// The median of two runs is their mean.
		if got, want := float64(v.Produce.Messages), (msgs[0]+msgs[1])/2; got < want-0.5 || got > want+0.5 {
			t.Errorf("%s: messages %v, runs %v", v.Name, got, msgs)
		}
		p99 := v.Repeats.Figures["produce.latency_ms.p99"]
		if len(p99.Measured()) != 2 || p99.CI == nil {
			t.Errorf("%s: p99 runs %+v", v.Name, p99)
		}
		h, err := recorder.DecodeHistogram(v.Histograms["produce"])
		if err != nil || float64(h.Count()) != msgs[0]+msgs[1] {
			t.Errorf("%s: merged histogram holds %d values, runs acknowledged %v (%v)", v.Name, h.Count(), msgs, err)
		}
		if d := v.Delivery; d == nil || d.Lost == nil || *d.Lost != 0 || d.Duplicated != 0 {
			t.Errorf("%s: delivery %+v", v.Name, d)
		}
		if g := v.Consume.Groups[0]; g.Drained == nil || !*g.Drained || g.Lag.DrainMs == nil {
			t.Errorf("%s: group drained %v in %v ms", v.Name, g.Drained, g.Lag.DrainMs)
		}
	}
}
