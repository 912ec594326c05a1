package verdict_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
	"github.com/kbench/kbench/report/verdict"
)

func gateVariant() *report.Variant {
	v := &buildFixtureVariant
	return v
}

// a small variant with known figures.
var buildFixtureVariant = report.Variant{
	Name:      "v",
	DurationS: 10,
	Produce: report.Produce{Messages: 1000, Throughput: report.Throughput{MsgsPerS: 100},
		Latency: report.Latency{Count: 1000, P50: 2, P99: 40, Max: 80}},
	Consume: report.Consume{Groups: []report.Group{
		{Group: "realtime-monitoring", Messages: 1000, Lag: report.Lag{Max: 250, Final: 0, DrainMs: report.Float(120)}},
		{Group: "a.b", Lag: report.Lag{Max: 7}},
	}},
	Partitions: []report.Partition{{Partition: 0, Messages: 600}, {Partition: 1, Messages: 400}},
	Skew:       report.Skew{MaxMean: 1.2, Idle: 0},
	Keys:       report.Keys{Distinct: 12, PerPart: []int64{7, 5}},
	Delivery:   &report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0), Duplicated: 3},
}

func TestParseGateOperators(t *testing.T) {
	v := gateVariant()
	cases := []struct {
		expr string
		pass bool
		val  float64
	}{
		{"produce.latency_ms.p99 < 50", true, 40},
		{"produce.latency_ms.p99 < 40", false, 40},
		{"produce.latency_ms.p99 <= 40", true, 40},
		{"produce.latency_ms.p99 <= 39.999", false, 40},
		{"produce.throughput.msgs_per_s > 99.5", true, 100},
		{"produce.throughput.msgs_per_s > 100", false, 100},
		{"produce.throughput.msgs_per_s >= 100", true, 100},
		{"produce.throughput.msgs_per_s >= 1e3", false, 100},
		{"delivery.lost == 0", true, 0},
		{"delivery.duplicated == 0", false, 3},
		{"delivery.duplicated != 0", true, 3},
		{"delivery.lost != 0", false, 0},
		{"skew.max_mean<=1.5", true, 1.2},   // no spaces
		{"  skew.idle   ==   0  ", true, 0}, // extra spaces
		{"consume.groups.realtime-monitoring.lag.max < 1000", true, 250},
		{`consume.groups."a.b".lag.max >= 7`, true, 7}, // quoted group with a dot
		{"partitions.1.messages == 400", true, 400},
		{"keys.per_partition.0 > 6", true, 7},
		{"produce.latency_ms.count >= 1000", true, 1000},
		{"produce.latency_ms.p50 > -1", true, 2},
		{"produce.latency_ms.p50 < +2.5", true, 2},
	}
	for _, c := range cases {
		g, err := verdict.ParseGate(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		res := g.Eval(v)
		if res.Pass != c.pass || res.Value != c.val || res.Error != "" {
			t.Errorf("%q: got pass=%v value=%v err=%q, want pass=%v value=%v", c.expr, res.Pass, res.Value, res.Error, c.pass, c.val)
		}
		if res.Expr != strings.TrimSpace(c.expr) {
			t.Errorf("%q: expr recorded as %q", c.expr, res.Expr)
		}
	}
}

func TestParseGateErrors(t *testing.T) {
	cases := []struct {
		expr   string
		offset int
		msg    string
	}{
		{"", 0, "empty expression"},
		{"produce.latency_ms.p99", 22, "missing operator"},
		{"produce.latency_ms.p99 <", 24, "missing number"},
		{"produce.latency_ms.p99 = 5", 23, "use =="},
		{"produce.latency_ms.p99 === 5", 23, "unknown operator"},
		{"produce.latency_ms.p99 <> 5", 23, "unknown operator"},
		{"produce.latency_ms.p99 ~ 5", 23, "expected an operator"},
		{"produce.latency_ms.p99 < 5ms", 25, "not a number"},
		{"produce.latency_ms.p99 < NaN", 25, "not a number"},
		{"produce.latency_ms.p99 < Inf", 25, "not a number"},
		{"produce.latency_ms.p99 < 0x10", 25, "not a number"},
		{"produce.latency_ms.p99 < 1_000", 25, "not a number"},
		{"produce.latency_ms.p99 < 1e999", 25, "not a finite number"},
		{"produce.latency_ms.p99 < 5 extra", 27, "unexpected"},
		{"produce.latency.p99 < 5", 8, `unknown field "latency" in produce`},
		{"produce.latency_ms.p95 < 5", 19, `unknown field "p95"`},
		{"latency.p99 < 5", 0, "unknown field \"latency\" in the variant"},
		{"produce.latency_ms < 5", 8, "not a number; choose one of: count, p50"},
		{"skew < 1", 0, "not a number"},
		{"produce..p99 < 5", 8, "empty path segment"},
		{"produce.latency_ms. < 5", 19, "ends with '.'"},
		{"partitions.first.messages > 0", 11, "expected a number"},
		{"partitions > 0", 0, "is a list"},
		{"produce.messages.x > 0", 17, "is a number; nothing below it"},
		{"histograms.produce > 0", 0, "cannot be gated"},
		{"gates.0.value > 0", 0, "cannot be gated"},
		{"name == 1", 0, "cannot be gated"},
		{`consume.groups."a.b.lag.max < 1`, 15, "unterminated"},
		{"< 5", 0, "expected a path"},
	}
	for _, c := range cases {
		_, err := verdict.ParseGate(c.expr)
		var ge *verdict.GateError
		if !errors.As(err, &ge) {
			t.Errorf("%q: got %v, want a GateError", c.expr, err)
			continue
		}
		if ge.Offset != c.offset || !strings.Contains(ge.Msg, c.msg) {
			t.Errorf("%q: got offset %d %q, want offset %d containing %q", c.expr, ge.Offset, ge.Msg, c.offset, c.msg)
		}
		if !strings.Contains(err.Error(), "column ") {
			t.Errorf("%q: error lacks a column: %v", c.expr, err)
		}
	}
}

func TestGateNoDataFailsLoudly(t *testing.T) {
	v := gateVariant()
	empty := &report.Variant{Name: "empty"}
	cases := []struct {
		v    *report.Variant
		expr string
		msg  string
	}{
		{v, "e2e.latency_ms.p99 < 1000", "no samples"},
		{v, "e2e.latency_ms.max >= 0", "no samples"},
		{v, "consume.groups.nosuch.lag.max < 1000", `no consumer group "nosuch" (groups: realtime-monitoring, a.b)`},
		{v, `consume.groups."a.b".lag.drain_ms < 100000`, "not measured: the group did not drain"},
		{v, `consume.groups."a.b".failover_ms < 5000`, "not measured: no consumer fault"},
		{v, `consume.groups.realtime-monitoring.delivery.lost == 0`, "not measured"},
		{v, "partitions.1.broker_messages >= 0", "not measured: the broker's offsets"},
		{v, "keys.remap_share.keys < 0.5", "not measured: topic.repartition is not set"},
		{v, "partitions.7.messages >= 0", "no partition 7"},
		{v, "keys.per_partition.5 >= 0", "no element 5"},
		{empty, "delivery.lost == 0", "no consumer group verified delivery"},
		{empty, "skew.max_mean <= 100", "no partition load"},
		{empty, "produce.throughput.msgs_per_s >= 0", "no duration"},
		{empty, "keys.ordering.preserved_share >= 0", "no keys"},
		{empty, "consume.groups.g.lag.max < 1", "has no consumer groups"},
	}
	for _, c := range cases {
		g, err := verdict.ParseGate(c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		res := g.Eval(c.v)
		if res.Pass || !strings.Contains(res.Error, c.msg) {
			t.Errorf("%q on %s: pass=%v error=%q, want a failure containing %q", c.expr, c.v.Name, res.Pass, res.Error, c.msg)
		}
	}
	// Counting figures that were measured as zero are data, not "no data".
	g, _ := verdict.ParseGate("produce.errors == 0")
	if res := g.Eval(v); !res.Pass {
		t.Errorf("produce.errors == 0: %+v", res)
	}
}

func TestEvaluateGates(t *testing.T) {
	r := fixture.Load(t)
	if err := decide(r, []string{"produce.latency_ms.p99 < 100", "delivery.lost == 0"}); err != nil {
		t.Fatal(err)
	}
	if !r.Passed || verdict.FailedGates(r) != 0 || len(r.Variants[0].Gates) != 2 {
		t.Fatalf("passed=%v failed=%d gates=%+v", r.Passed, verdict.FailedGates(r), r.Variants[0].Gates)
	}
	// skew.max_mean <= 1.5 fails for path (2.62) and service (3.72) only.
	if err := decide(r, []string{"skew.max_mean <= 1.5"}); err != nil {
		t.Fatal(err)
	}
	if r.Passed || verdict.FailedGates(r) != 2 {
		t.Fatalf("passed=%v failed=%d", r.Passed, verdict.FailedGates(r))
	}
	for _, v := range r.Variants {
		want := v.Name != "path" && v.Name != "service"
		if len(v.Gates) != 1 || v.Gates[0].Pass != want || v.Gates[0].Value != v.Skew.MaxMean {
			t.Errorf("%s: %+v", v.Name, v.Gates)
		}
	}
	// A malformed expression changes nothing and reports every error.
	err := decide(r, []string{"bogus.path < 1", "skew.idle == 0", "delivery.lost = 0"})
	if err == nil || !strings.Contains(err.Error(), "bogus") || !strings.Contains(err.Error(), "use ==") {
		t.Fatalf("err = %v", err)
	}
	if len(r.Variants[0].Gates) != 1 {
		t.Fatal("gates changed by a failed evaluation")
	}
	// No gates: passed.
	if err := decide(r, nil); err != nil || !r.Passed {
		t.Fatal(err, r.Passed)
	}
}

func TestLookupAndValidatePath(t *testing.T) {
	v := gateVariant()
	if x, err := report.Lookup(v, "consume.groups.realtime-monitoring.messages"); err != nil || x != 1000 {
		t.Fatal(x, err)
	}
	for _, p := range []string{"produce.latency_corrected_ms.p999", "produce.send_delay_ms.mean", "bytes_skew.gini",
		"keys.ordering.max_spread", "consume.groups.x.failover_ms", "consume.groups.x.delivery.lost",
		"faults.0.failover_ms", "keys.top.0.share", "config.partitions", "duration_s"} {
		if err := report.ValidatePath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"keys.top.0.key", "config.acks", "consume.groups", "params.x", "e2e"} {
		if err := report.ValidatePath(p); err == nil {
			t.Errorf("%s: accepted", p)
		}
	}
}

// decide evaluates exprs on every variant through the one verdict.
func decide(r *report.Result, exprs []string) error {
	_, err := verdict.Decide(r, verdict.Checks{All: exprs})
	return err
}
