package render

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
	"github.com/kbench/kbench/report/recorder"
)

var update = flag.Bool("update", false, "rewrite golden files and the testdata fixture")

const fixturePath = "testdata/quickstart.json"

// buildFixture hand-builds a realistic quickstart result: five keying
// variants over 12 partitions, 20 s at 5000 msg/s, one consumer group. It
// is deterministic; TestFixtureUpToDate checks testdata/quickstart.json
// still equals it (run with -update after changing it).
func buildFixture() *report.Result {
	type spec struct {
		name       string
		load       []int64 // per-partition messages
		distinct   int64
		top        []report.HotKey
		preserved  float64
		spread     int
		p50, sigma float64 // produce latency lognormal, ms
		e2eExtra   float64
		lag        []int64
		rebalances int
		throughput float64
	}
	specs := []spec{
		{"path", []int64{14210, 3120, 9870, 0, 21840, 6010, 8890, 4030, 12170, 0, 15400, 4460}, 8,
			[]report.HotKey{{Key: "order", Share: 0.218}, {Key: "payment", Share: 0.154}, {Key: "user", Share: 0.122}}, 0.62, 4, 2.1, 0.45, 1.2,
			[]int64{0, 120, 340, 810, 1320, 1650, 2200, 2410, 2630, 2720, 2950, 3100, 2870, 2510, 1980, 1400, 900, 450, 200, 60}, 0, 5000.3},
		{"service", []int64{0, 31020, 0, 18850, 0, 0, 24990, 0, 14070, 0, 11070, 0}, 5,
			[]report.HotKey{{Key: "payment-service", Share: 0.310}, {Key: "order-service", Share: 0.250}, {Key: "user-service", Share: 0.188}}, 1.0, 1, 2.4, 0.55, 1.6,
			[]int64{0, 410, 1210, 2870, 4600, 6310, 8050, 9200, 10110, 11240, 12090, 11800, 11020, 9900, 8010, 6100, 4100, 2300, 900, 310}, 1, 4998.1},
		{"node", []int64{6120, 9800, 10150, 7300, 11990, 8020, 5890, 9410, 12300, 4020, 8800, 6200}, 20,
			[]report.HotKey{{Key: "payment-7c9f-0", Share: 0.123}, {Key: "order-5d2a-1", Share: 0.094}, {Key: "order-5d2a-0", Share: 0.081}}, 0.12, 4, 1.9, 0.40, 0.9,
			[]int64{0, 60, 120, 210, 300, 280, 350, 410, 390, 420, 380, 360, 400, 330, 290, 250, 180, 90, 40, 10}, 0, 5000.1},
		{"composite", []int64{7020, 8930, 9710, 8110, 10830, 7480, 6630, 9020, 11220, 5240, 8200, 7610}, 20,
			[]report.HotKey{{Key: "payment-service|payment-7c9f-0", Share: 0.123}, {Key: "order-service|order-5d2a-1", Share: 0.094}, {Key: "order-service|order-5d2a-0", Share: 0.081}}, 0.12, 4, 1.9, 0.42, 0.9,
			[]int64{0, 50, 110, 190, 260, 240, 310, 330, 340, 350, 330, 320, 310, 290, 250, 200, 140, 80, 30, 0}, 0, 5000.2},
		{"salted", []int64{8410, 8120, 8660, 8290, 8530, 8020, 8370, 8210, 8750, 8100, 8300, 8240}, 64,
			[]report.HotKey{{Key: "order#3", Share: 0.028}, {Key: "order#6", Share: 0.028}, {Key: "order#1", Share: 0.027}}, 0.0, 12, 1.8, 0.35, 0.7,
			[]int64{0, 20, 40, 50, 60, 70, 60, 70, 80, 60, 70, 60, 50, 60, 50, 40, 30, 20, 10, 0}, 0, 5000.0},
	}
	rng := rand.New(rand.NewPCG(42, 7))
	lognormal := func(h *recorder.Histogram, n int, median, sigma float64) {
		for i := 0; i < n; i++ {
			ms := median * math.Exp(sigma*rng.NormFloat64())
			h.Record(time.Duration(ms * float64(time.Millisecond)))
		}
	}
	r := &report.Result{
		Schema:      report.Schema,
		Experiment:  "quickstart",
		Description: "keying strategies side by side on the embedded broker",
		StartedAt:   time.Date(2026, 11, 27, 21, 30, 0, 0, time.UTC),
		Complete:    true,
		Broker: report.BrokerInfo{Kind: "embedded", Brokers: []string{"127.0.0.1:40123"},
			Note: "embedded in-memory broker (kfake): figures measure the client and an in-memory broker, not a Kafka cluster"},
		Passed: true,
	}
	for _, s := range specs {
		var msgs int64
		parts := make([]report.Partition, len(s.load))
		bytesLoad := make([]int64, len(s.load))
		for i, x := range s.load {
			msgs += x
			parts[i] = report.Partition{Partition: i, Messages: x, Bytes: x * 512, BrokerMessages: report.Int(x + x/20)}
			bytesLoad[i] = x * 512
		}
		prod, corr, delay, e2e := recorder.NewHistogram(), recorder.NewHistogram(), recorder.NewHistogram(), recorder.NewHistogram()
		const n = 20000
		lognormal(prod, n, s.p50, s.sigma)
		corr.Merge(prod)
		lognormal(corr, n/100, s.p50*4, s.sigma) // a few stalls the generator absorbed
		lognormal(delay, n, 0.02, 0.8)
		lognormal(e2e, n, s.p50+s.e2eExtra, s.sigma+0.15)
		enc := func(h *recorder.Histogram) string {
			str, err := h.Encode()
			if err != nil {
				panic(err)
			}
			return str
		}
		var ts []report.Sample
		var sent int64
		for i, lag := range s.lag {
			sent += msgs / int64(len(s.lag))
			p99 := s.p50 * math.Exp(2.33*s.sigma) * (1 + float64(lag)/20000)
			ts = append(ts, report.Sample{T: float64(i + 1), Sent: sent, Acked: sent - 40, Consumed: sent - 40 - lag, Lag: lag,
				P99Ms: math.Round(p99*100) / 100})
		}
		var maxLag int64
		for _, l := range s.lag {
			maxLag = max(maxLag, l)
		}
		perPart := make([]int64, len(s.load))
		for i, x := range s.load {
			if x > 0 {
				perPart[i] = max(1, s.distinct*x/msgs)
			}
		}
		v := report.Variant{
			Name:      s.name,
			Params:    map[string]string{"workload.keying.strategy": s.name},
			DurationS: 20,
			Config: report.VariantConfig{Strategy: s.name, Partitioner: "murmur2", Partitions: 12, Acks: "all", BatchSize: 1000,
				Linger: "5ms", Compression: "none", Producers: 2, MessageSize: 512, TargetRate: 5000, Driver: "kafka-go"},
			Produce: report.Produce{Messages: msgs, Bytes: msgs * 512,
				Throughput:       report.Throughput{MsgsPerS: s.throughput, MiBPerS: s.throughput * 512 / (1 << 20), TargetMsgsPerS: 5000},
				Latency:          prod.Summary(),
				LatencyCorrected: corr.Summary(),
				SendDelay:        delay.Summary()},
			E2E: report.E2E{Latency: e2e.Summary()},
			Consume: report.Consume{Groups: []report.Group{{Group: "realtime-monitoring", Messages: msgs, MsgsPerS: report.Float(s.throughput), Latency: e2e.Summary(),
				Lag:        report.Lag{Max: maxLag, Final: 0, DrainMs: report.Float(float64(maxLag) / 4)},
				Rebalances: s.rebalances, RebalancePauseMs: report.Float(float64(s.rebalances) * 250), PartitionLag: nil, ID: "realtime-monitoring-8c7cd8b0-" + s.name, Drained: report.Bool(true),
				RebalanceLog: fixtureRebalances(s.rebalances),
				Delivery:     report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}}}},
			Delivery:   &report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)},
			Topic:      "kbench-8c7cd8b0-" + s.name,
			Partitions: parts,
			Skew:       keying.ComputeSkew(s.load),
			BytesSkew:  keying.ComputeSkew(bytesLoad),
			Keys:       report.Keys{Distinct: s.distinct, Top: s.top, Ordering: report.Ordering{PreservedShare: s.preserved, MaxSpread: s.spread}, PerPart: perPart},
			Histograms: map[string]string{"produce": enc(prod), "produce_corrected": enc(corr), "send_delay": enc(delay),
				"e2e": enc(e2e), "e2e:realtime-monitoring": enc(e2e)},
			Timeseries: ts,
		}
		r.Variants = append(r.Variants, v)
	}
	return r
}

// fixtureRebalances is the log of a group that rebalanced n times: one
// 250 ms eager rebalance each, whole partitions paused (n is 0 or 1).
func fixtureRebalances(n int) []report.Rebalance {
	if n == 0 {
		return nil
	}
	return []report.Rebalance{{AtS: 9.412, DurationMs: 250, PartitionsMoved: 4, PauseMs: 250}}
}

func loadFixture(t testing.TB) *report.Result { return fixture.Load(t) }

func TestFixtureUpToDate(t *testing.T) {
	b, err := json.MarshalIndent(buildFixture(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(fixturePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixturePath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture was generated on amd64; fused multiply-add elsewhere may change the last digits")
	}
	old, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if string(old) != string(b) {
		t.Fatalf("%s is stale: run go test ./report -run TestFixtureUpToDate -update", fixturePath)
	}
}
