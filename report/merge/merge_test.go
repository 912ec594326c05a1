package merge_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/report/verdict"
)

// shardOf builds one shard's variant from recorded latencies and loads.
func shardOf(t *testing.T, shard string, lat []time.Duration, load []int64, lag int64, dur float64) *report.Result {
	t.Helper()
	h, e2e := recorder.NewHistogram(), recorder.NewHistogram()
	for _, d := range lat {
		h.Record(d)
		e2e.Record(2 * d)
	}
	enc := func(h *recorder.Histogram) string { s, _ := h.Encode(); return s }
	var msgs int64
	parts := make([]report.Partition, len(load))
	for i, x := range load {
		msgs += x
		parts[i] = report.Partition{Partition: i, Messages: x, Bytes: 100 * x, BrokerMessages: report.Int(5000)}
	}
	v := report.Variant{
		Name: "path", DurationS: dur,
		Config:     report.VariantConfig{TargetRate: 1000, Producers: 2},
		Produce:    report.Produce{Messages: msgs, Bytes: 100 * msgs, Errors: 1, Latency: h.Summary(), Throughput: report.Throughput{MsgsPerS: float64(msgs) / dur}},
		E2E:        report.E2E{Latency: e2e.Summary()},
		Consume:    report.Consume{Groups: []report.Group{{Group: "g", Messages: msgs, MsgsPerS: report.Float(float64(msgs) / dur), Latency: e2e.Summary(), Lag: report.Lag{Max: lag, DrainMs: report.Float(float64(lag))}, Rebalances: 1}}},
		Partitions: parts,
		Skew:       keying.ComputeSkew(load),
		Keys:       report.Keys{Distinct: 10, Top: []report.HotKey{{Key: "a", Share: 0.5}, {Key: "b", Share: 0.1}}, Ordering: report.Ordering{PreservedShare: 1, MaxSpread: 1}},
		Delivery:   &report.Delivery{Lost: report.Int(2), Unconsumed: report.Int(0), Duplicated: 1},
		Histograms: map[string]string{"produce": enc(h), "e2e": enc(e2e), "e2e:g": enc(e2e)},
		Timeseries: []report.Sample{{T: 1, Sent: 10, Acked: 10, Lag: lag / 2}, {T: 2, Sent: 20, Acked: 20, Lag: lag}},
		Gates:      []report.GateResult{{Expr: "delivery.lost == 0", Pass: false, Value: 2}},
	}
	return &report.Result{Schema: report.Schema, Experiment: "e", Shard: shard, Complete: true, Passed: false,
		StartedAt: time.Date(2026, 1, 1, 0, 0, len(shard), 0, time.UTC), Variants: []report.Variant{v}}
}

func TestMergeExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b []time.Duration
	all := recorder.NewHistogram()
	for i := 0; i < 5000; i++ {
		d := time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))
		all.Record(d)
		if i%3 == 0 {
			a = append(a, d)
		} else {
			b = append(b, d)
		}
	}
	sa := shardOf(t, "1/2", a, []int64{100, 0, 300}, 40, 10)
	sb := shardOf(t, "2/2", b, []int64{50, 200, 0}, 70, 12)
	m, err := merge.Merge([]*report.Result{sa, sb})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Variants[0]
	// Histograms merged losslessly: percentiles equal those of all values.
	if v.Produce.Latency != all.Summary() {
		t.Errorf("merged latency %+v, want %+v", v.Produce.Latency, all.Summary())
	}
	h, err := recorder.DecodeHistogram(v.Histograms["produce"])
	if err != nil || h.Count() != 5000 {
		t.Fatalf("merged histogram: %v count %d", err, h.Count())
	}
	if v.Consume.Groups[0].Latency.Count != 5000 || v.E2E.Latency.Count != 5000 {
		t.Errorf("e2e counts: %d %d", v.E2E.Latency.Count, v.Consume.Groups[0].Latency.Count)
	}
	// Counts summed, throughput recomputed over the longer duration.
	if v.Produce.Messages != 650 || v.Produce.Errors != 2 || !eqInt(v.Delivery.Lost, 4) || v.Consume.Groups[0].Messages != 650 {
		t.Errorf("counts: %+v %+v", v.Produce, v.Delivery)
	}
	if v.DurationS != 12 || math.Abs(v.Produce.Throughput.MsgsPerS-650.0/12) > 1e-9 || v.Produce.Throughput.TargetMsgsPerS != 0 {
		t.Errorf("throughput %+v over %v s", v.Produce.Throughput, v.DurationS)
	}
	if v.Config.TargetRate != 2000 || v.Config.Producers != 4 {
		t.Errorf("config %+v", v.Config)
	}
	// Partitions summed, broker watermark is shared (max), skew recomputed.
	wantLoad := []int64{150, 200, 300}
	for i, p := range v.Partitions {
		if p.Messages != wantLoad[i] || p.Bytes != 100*wantLoad[i] || !eqInt(p.BrokerMessages, 5000) {
			t.Errorf("partition %d: %+v", i, p)
		}
	}
	if v.Skew != keying.ComputeSkew(wantLoad) || v.Skew.Idle != 0 || math.Abs(v.Skew.MaxMean-300/(650.0/3)) > 1e-12 {
		t.Errorf("skew %+v", v.Skew)
	}
	// Shared-object figures take the maximum.
	g := v.Consume.Groups[0]
	if g.Lag.Max != 70 || g.Rebalances != 1 || g.Lag.DrainMs == nil || *g.Lag.DrainMs != 70 {
		t.Errorf("group %+v", g)
	}
	// Each shard's consuming rate spans its own first and last message:
	// they do not add up to the group's.
	if g.MsgsPerS != nil {
		t.Errorf("merged consumed msg/s %g, want not measured", *g.MsgsPerS)
	}
	if len(v.Timeseries) != 2 || v.Timeseries[1].Sent != 40 || v.Timeseries[1].Lag != 70 {
		t.Errorf("timeseries %+v", v.Timeseries)
	}
	if v.Keys.Top[0].Key != "a" || math.Abs(v.Keys.Top[0].Share-0.5) > 1e-12 || v.Keys.Distinct != 10 {
		t.Errorf("keys %+v", v.Keys)
	}
	// Gates are cleared (a shard's gates saw only its share); the merged
	// verdict is its own: complete, and no gate.
	if len(v.Gates) != 0 || !m.Passed || m.Shard != "" || !m.StartedAt.Equal(sa.StartedAt) {
		t.Errorf("gates %v passed %v shard %q started %v", v.Gates, m.Passed, m.Shard, m.StartedAt)
	}
	if err := decide(m, []string{"delivery.lost <= 4", "produce.latency_ms.count == 5000"}); err != nil || !m.Passed {
		t.Errorf("gates on the merged result: %v %+v", err, m.Variants[0].Gates)
	}
}

func TestMergeErrors(t *testing.T) {
	lat := []time.Duration{time.Millisecond}
	a := shardOf(t, "1/2", lat, []int64{1}, 0, 1)
	cases := map[string][]*report.Result{
		"given twice":   {a, shardOf(t, "1/2", lat, []int64{1}, 0, 1)},
		"is experiment": {a, func() *report.Result { r := shardOf(t, "2/2", lat, []int64{1}, 0, 1); r.Experiment = "other"; return r }()},
		"no variant": {a, func() *report.Result {
			r := shardOf(t, "2/2", lat, []int64{1}, 0, 1)
			r.Variants[0].Name = "x"
			return r
		}()},
		"cannot merge exactly": {a, func() *report.Result {
			r := shardOf(t, "2/2", lat, []int64{1}, 0, 1)
			delete(r.Variants[0].Histograms, "produce")
			return r
		}()},
		"no results": nil,
	}
	for want, shards := range cases {
		if _, err := merge.Merge(shards); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	// A shard whose lag never drained dominates the merged drain time.
	b := shardOf(t, "2/2", lat, []int64{1}, 0, 1)
	b.Variants[0].Consume.Groups[0].Lag.DrainMs = nil
	m, err := merge.Merge([]*report.Result{a, b})
	if err != nil || m.Variants[0].Consume.Groups[0].Lag.DrainMs != nil {
		t.Errorf("drain: %v %+v", err, m.Variants[0].Consume.Groups[0].Lag)
	}
}

func decide(r *report.Result, exprs []string) error {
	_, err := verdict.Decide(r, verdict.Checks{All: exprs})
	return err
}
