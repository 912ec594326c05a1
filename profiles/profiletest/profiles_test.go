package profiletest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/runner"
)

func load(t *testing.T, name string, sets ...string) *workloads.Plan {
	t.Helper()
	p, err := workloads.LoadProfile(name, sets)
	if err != nil {
		t.Fatalf("profile %s: %v", name, err)
	}
	return p
}

// run runs a built-in profile, shortened by sets, on the embedded broker
// and returns the result with its variants by name.
func run(t *testing.T, name string, sets ...string) map[string]*report.Variant {
	t.Helper()
	p := load(t, name, sets...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	res, err := runner.Run(ctx, p, runner.Options{})
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	if !res.Complete || len(res.Variants) != len(p.Variants) {
		t.Fatalf("run %s: complete=%v, %d of %d variants", name, res.Complete, len(res.Variants), len(p.Variants))
	}
	t.Logf("%s: %d variant(s) in %s", name, len(res.Variants), time.Since(start).Round(time.Millisecond))
	out := map[string]*report.Variant{}
	for i := range res.Variants {
		v := &res.Variants[i]
		out[v.Name] = v
		t.Logf("  %s", summary(v))
	}
	return out
}

func summary(v *report.Variant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d msgs, %.0f msg/s, p99 %.2f ms, max/mean %.2f", v.Name,
		v.Produce.Messages, v.Produce.Throughput.MsgsPerS, v.Produce.Latency.P99, v.Skew.MaxMean)
	for _, g := range v.Consume.Groups {
		fmt.Fprintf(&b, "; %s: consumed %d lag max %d final %d rebalances %d failover %s ms lost %d dup %d partition_lag %v",
			g.Group, g.Messages, g.Lag.Max, g.Lag.Final, g.Rebalances, optMs(g.FailoverMs),
			val(g.Delivery.Lost), g.Delivery.Duplicated, g.PartitionLag)
	}
	for _, f := range v.Faults {
		fmt.Fprintf(&b, "; fault %s@%.1fs failover %s ms %s", f.Kind, f.AtS, optMs(f.FailoverMs), f.Error)
	}
	if r := v.Keys.RemapShare; r != nil {
		fmt.Fprintf(&b, "; remap %d->%d keys %.3f traffic %.3f", r.From, r.To, r.Keys, r.Traffic)
	}
	return b.String()
}

func variant(t *testing.T, vs map[string]*report.Variant, name string) *report.Variant {
	t.Helper()
	v, ok := vs[name]
	if !ok {
		t.Fatalf("no variant %q in the result", name)
	}
	return v
}

// group returns the variant's only (or named) consumer group.
func group(t *testing.T, v *report.Variant, name string) *report.Group {
	t.Helper()
	for i := range v.Consume.Groups {
		if g := &v.Consume.Groups[i]; g.Group == name {
			return g
		}
	}
	t.Fatalf("%s: no consumer group %q", v.Name, name)
	return nil
}

// produced checks the basics every variant must have: messages
// acknowledged, no produce errors, a latency distribution, partitions that
// add up to what was produced.
func produced(t *testing.T, v *report.Variant) {
	t.Helper()
	if v.Produce.Messages <= 0 || v.Produce.Errors != 0 {
		t.Errorf("%s: produce.messages %d, errors %d", v.Name, v.Produce.Messages, v.Produce.Errors)
	}
	if v.Produce.Throughput.MsgsPerS <= 0 || v.Produce.Latency.Count == 0 || v.Produce.Latency.P99 <= 0 {
		t.Errorf("%s: throughput %.0f msg/s, latency %+v", v.Name, v.Produce.Throughput.MsgsPerS, v.Produce.Latency)
	}
	var sum int64
	for _, p := range v.Partitions {
		sum += p.Messages
	}
	if sum != v.Produce.Messages {
		t.Errorf("%s: partitions sum to %d, produce.messages %d", v.Name, sum, v.Produce.Messages)
	}
	if v.Skew.MaxMean < 1 {
		t.Errorf("%s: skew.max_mean %.3f < 1", v.Name, v.Skew.MaxMean)
	}
}

// consumedAll checks that a group processed every acknowledged message
// exactly once and ended without lag.
func consumedAll(t *testing.T, v *report.Variant, g *report.Group) {
	t.Helper()
	if g.Messages < v.Produce.Messages || val(g.Delivery.Lost) != 0 || g.Lag.Final != 0 {
		t.Errorf("%s/%s: consumed %d of %d, lost %d, final lag %d", v.Name, g.Group,
			g.Messages, v.Produce.Messages, val(g.Delivery.Lost), g.Lag.Final)
	}
}

// TestProfilesValidate: every built-in profile loads as `kbench validate`
// loads it (strict schema, every variant, gates).
func TestProfilesValidate(t *testing.T) {
	names := profiles.Names()
	for _, want := range []string{"quickstart", "keying-strategies", "batch-sweep", "acks-sweep",
		"hot-key-backpressure", "rebalance", "delivery-semantics", "multi-group", "repartition", "rebalance-storm"} {
		if _, ok := profiles.Get(want); !ok {
			t.Errorf("profile %s missing (have %v)", want, names)
		}
	}
	for _, n := range names {
		p := load(t, n)
		if p.Name != n || strings.TrimSpace(p.Description) == "" {
			t.Errorf("profile %s: name %q, description %q", n, p.Name, p.Description)
		}
		if profiles.Description(n) == "" {
			t.Errorf("profile %s: no description", n)
		}
	}
}

// The CPU-bound profiles run one after another, so throughput figures are
// not disturbed by each other; the ones whose figures are set by sleeps and
// timeouts (processing delay, session timeouts) run in parallel below.

// batch-sweep: at full speed, batches of 1000 give several times the
// throughput of batches of 1.
func TestBatchSweep(t *testing.T) {
	vs := run(t, "batch-sweep", "duration=1500ms", "warmup=0s", "producer.linger=5ms",
		"matrix.producer.batch_size=[1,1000]")
	one, big := variant(t, vs, "batch_size=1"), variant(t, vs, "batch_size=1000")
	produced(t, one)
	produced(t, big)
	if r := big.Produce.Throughput.MsgsPerS / one.Produce.Throughput.MsgsPerS; r < 3 {
		t.Errorf("batch 1000 gives %.0f msg/s, batch 1 %.0f msg/s: only %.1fx, want several times",
			big.Produce.Throughput.MsgsPerS, one.Produce.Throughput.MsgsPerS, r)
	}
}

// acks-sweep: every acks level produces and is consumed completely.
func TestAcksSweep(t *testing.T) {
	vs := run(t, "acks-sweep", "duration=1s", "warmup=0s", "workload.rate=5000", "drain=10s")
	for _, name := range []string{"acks=0", "acks=1", "acks=all"} {
		v := variant(t, vs, name)
		produced(t, v)
		if v.Config.Acks != strings.TrimPrefix(name, "acks=") {
			t.Errorf("%s: config.acks %q", name, v.Config.Acks)
		}
		// acks=0 has no acknowledgement to lose a message by; with acks
		// the group gets everything.
		if name != "acks=0" {
			consumedAll(t, v, group(t, v, "acks"))
		}
	}
}

// keying-strategies: service keys pile onto a few partitions and keep each
// service's order; random spreads evenly and keeps none.
func TestKeyingStrategies(t *testing.T) {
	vs := run(t, "keying-strategies", "duration=1s", "warmup=0s", "workload.rate=5000",
		"matrix.workload.keying.strategy=[service,salted,random]")
	svc, salted, rnd := variant(t, vs, "strategy=service"), variant(t, vs, "strategy=salted"), variant(t, vs, "strategy=random")
	for _, v := range []*report.Variant{svc, salted, rnd} {
		produced(t, v)
		consumedAll(t, v, group(t, v, "keying"))
		if v.Keys.Distinct == 0 {
			t.Errorf("%s: keys %+v", v.Name, v.Keys)
		}
	}
	// Hot keys are listed only when they stand out of the sketch's error:
	// services and salted services do, random keys (one per message) never.
	if len(svc.Keys.Top) == 0 || len(salted.Keys.Top) == 0 || len(rnd.Keys.Top) != 0 {
		t.Errorf("hot keys: service %+v, salted %+v, random %+v", svc.Keys.Top, salted.Keys.Top, rnd.Keys.Top)
	}
	if svc.Keys.Ordering.PreservedShare != 1 || svc.Keys.Ordering.MaxSpread != 1 {
		t.Errorf("service keys: ordering %+v, want every service on one partition", svc.Keys.Ordering)
	}
	if !(rnd.Skew.MaxMean < salted.Skew.MaxMean && salted.Skew.MaxMean < svc.Skew.MaxMean) {
		t.Errorf("max/mean: random %.2f, salted %.2f, service %.2f; want increasing",
			rnd.Skew.MaxMean, salted.Skew.MaxMean, svc.Skew.MaxMean)
	}
	if rnd.Skew.Idle != 0 || svc.Skew.Idle == 0 {
		t.Errorf("idle partitions: random %d, service %d (5 services on 12 partitions)", rnd.Skew.Idle, svc.Skew.Idle)
	}
}

// quickstart: the side-by-side strategies; salting spreads the service keys.
func TestQuickstart(t *testing.T) {
	vs := run(t, "quickstart", "duration=1500ms", "matrix.workload.keying.strategy=[service,salted]")
	svc, salted := variant(t, vs, "strategy=service"), variant(t, vs, "strategy=salted")
	for _, v := range []*report.Variant{svc, salted} {
		produced(t, v)
		consumedAll(t, v, group(t, v, "quickstart"))
	}
	if salted.Skew.MaxMean >= svc.Skew.MaxMean {
		t.Errorf("salted max/mean %.2f, service %.2f: salting should lower it", salted.Skew.MaxMean, svc.Skew.MaxMean)
	}
	if salted.Keys.Distinct <= svc.Keys.Distinct {
		t.Errorf("salted keys %d, service keys %d", salted.Keys.Distinct, svc.Keys.Distinct)
	}
}

// repartition: growing 6 -> 8 partitions, jump moves fewer keys than
// modulo (murmur2), by key and by traffic.
func TestRepartition(t *testing.T) {
	// The drain ends once every message is consumed; the room is for a
	// busy host, where the growth's rebalance (kafka-go's members each
	// notice the new partitions on their own) can take seconds. Sending
	// goes on 2s after the growth: kafka-go's producers learn of the new
	// partitions within their 1s metadata age, which a busy host stretches.
	vs := run(t, "repartition", "duration=2500ms", "topic.repartition_at=500ms", "workload.rate=3000", "drain=20s")
	mod, jump := variant(t, vs, "partitioner=murmur2"), variant(t, vs, "partitioner=jump")
	for _, v := range []*report.Variant{mod, jump} {
		produced(t, v)
		r := v.Keys.RemapShare
		if r == nil || r.From != 6 || r.To != 8 {
			t.Fatalf("%s: remap_share %+v, want 6 -> 8", v.Name, r)
		}
		// The topic really grew: the new partitions received keys, and
		// the group took them up in a rebalance, losing nothing.
		if g := v.Repartitioned; g == nil || g.To != 8 || len(v.Partitions) != 8 || v.Partitions[7].Messages == 0 {
			t.Errorf("%s: repartitioned %+v, %d partitions in the figures", v.Name, g, len(v.Partitions))
		}
		g := group(t, v, "orders")
		consumedAll(t, v, g)
		if !slices.ContainsFunc(g.RebalanceLog, func(r report.Rebalance) bool { return r.Cause == "repartition" }) {
			t.Errorf("%s: no rebalance took the new partitions up: %+v", v.Name, g.RebalanceLog)
		}
	}
	m, j := mod.Keys.RemapShare, jump.Keys.RemapShare
	if j.Keys >= m.Keys || j.Traffic >= m.Traffic {
		t.Errorf("remapped keys/traffic: jump %.3f/%.3f, murmur2 %.3f/%.3f; want jump lower", j.Keys, j.Traffic, m.Keys, m.Traffic)
	}
	// Jump moves about (8-6)/8 of the keys; modulo about 18/24.
	if j.Keys > 0.35 || m.Keys < 0.6 {
		t.Errorf("remapped keys: jump %.3f (want ~0.25), murmur2 %.3f (want ~0.75)", j.Keys, m.Keys)
	}
}

// hot-key-backpressure: a hot key builds lag on its own partition; salting
// lowers the skew and the lag.
func TestHotKeyBackpressure(t *testing.T) {
	t.Parallel()
	vs := run(t, "hot-key-backpressure", "duration=4s", "workload.traffic.hot.at=0s",
		"workload.traffic.hot.for=4s", "drain=15s")
	svc, salted := variant(t, vs, "strategy=service"), variant(t, vs, "strategy=salted")
	for _, v := range []*report.Variant{svc, salted} {
		produced(t, v)
		consumedAll(t, v, group(t, v, "backpressure"))
	}
	g := group(t, svc, "backpressure")
	if len(g.PartitionLag) != len(svc.Partitions) {
		t.Fatalf("partition_lag %v for %d partitions", g.PartitionLag, len(svc.Partitions))
	}
	hot := 0 // the partition with the most messages
	for _, p := range svc.Partitions {
		if p.Messages > svc.Partitions[hot].Messages {
			hot = p.Partition
		}
	}
	for p, lag := range g.PartitionLag {
		if p != hot && lag*3 > g.PartitionLag[hot] {
			t.Errorf("partition_lag %v: hot partition %d's lag is not far above partition %d's", g.PartitionLag, hot, p)
		}
	}
	if g.PartitionLag[hot] < 300 {
		t.Errorf("hot partition %d: max lag %d, want a backlog", hot, g.PartitionLag[hot])
	}
	if salted.Skew.MaxMean >= svc.Skew.MaxMean {
		t.Errorf("salted max/mean %.2f, service %.2f: salting should lower it", salted.Skew.MaxMean, svc.Skew.MaxMean)
	}
	// Salting spreads the hot key: no partition lags like the service
	// key's hot one. (Per partition: on a loaded machine every partition
	// lags more, so the group totals come closer.)
	sg := group(t, salted, "backpressure")
	var saltedMax int64
	for _, lag := range sg.PartitionLag {
		saltedMax = max(saltedMax, lag)
	}
	if saltedMax*2 > g.PartitionLag[hot] || sg.Lag.Max >= g.Lag.Max {
		t.Errorf("salted: partition lag max %d, group lag max %d; service: hot partition %d, group %d: salting should relieve the hot partition",
			saltedMax, sg.Lag.Max, g.PartitionLag[hot], g.Lag.Max)
	}
}

// rebalance: a crash is noticed only after the session timeout; a clean
// leave hands its partitions over much faster.
func TestRebalance(t *testing.T) {
	t.Parallel()
	vs := run(t, "rebalance", "duration=5s", "faults.0.at=1s",
		"matrix.faults.0.kind=[consumer-crash,consumer-leave]")
	crash, leave := variant(t, vs, "kind=consumer-crash"), variant(t, vs, "kind=consumer-leave")
	// consumers.0 in the profile: the coordinator expires a session
	// session_timeout after the member's last heartbeat, which came at most
	// one heartbeat_interval before the crash.
	session, heartbeat := 3*time.Second, 500*time.Millisecond
	for _, v := range []*report.Variant{crash, leave} {
		produced(t, v)
		g := group(t, v, "workers")
		if val(g.Delivery.Lost) != 0 || g.Messages < v.Produce.Messages {
			t.Errorf("%s: consumed %d of %d, lost %d", v.Name, g.Messages, v.Produce.Messages, val(g.Delivery.Lost))
		}
		if g.Rebalances < 1 {
			t.Errorf("%s: %d rebalances", v.Name, g.Rebalances)
		}
		if len(v.Faults) != 1 || v.Faults[0].Error != "" || valF(v.Faults[0].FailoverMs) <= 0 {
			t.Fatalf("%s: faults %+v, want one with a failover time", v.Name, v.Faults)
		}
	}
	c, l := valF(crash.Faults[0].FailoverMs), valF(leave.Faults[0].FailoverMs)
	if c < float64((session - heartbeat).Milliseconds()) {
		t.Errorf("crash failover %.0f ms: a crash cannot be noticed before the %s session timeout (less one %s heartbeat)", c, session, heartbeat)
	}
	if l*2 > c {
		t.Errorf("leave failover %.0f ms, crash %.0f ms: a clean leave should be much faster", l, c)
	}
}

// rebalance-storm: a processing spike whose polls overrun
// max_poll_interval evicts members and the group rebalances, pausing
// partitions; polls small enough to stay inside the limit only build lag.
func TestRebalanceStorm(t *testing.T) {
	t.Parallel()
	vs := run(t, "rebalance-storm", "matrix.consumers.0.assignor=[range]")
	big, small := variant(t, vs, "assignor=range,max_poll_records=500"), variant(t, vs, "assignor=range,max_poll_records=20")
	for _, v := range []*report.Variant{big, small} {
		produced(t, v)
		g := group(t, v, "workers")
		t.Logf("%s: evictions %d, rebalances %d, pause %.0f ms, lag max %d, log %+v", v.Name, g.MaxPollEvictions, g.Rebalances, valF(g.RebalancePauseMs), g.Lag.Max, g.RebalanceLog)
		if val(g.Delivery.Lost) != 0 || g.Messages < v.Produce.Messages {
			t.Errorf("%s: consumed %d of %d, lost %d", v.Name, g.Messages, v.Produce.Messages, val(g.Delivery.Lost))
		}
	}
	b, s := group(t, big, "workers"), group(t, small, "workers")
	if b.MaxPollEvictions < 1 || b.Rebalances < 1 || valF(b.RebalancePauseMs) <= 0 {
		t.Errorf("500 records a poll: %d evictions, %d rebalances, pause %v; want the spike to evict members", b.MaxPollEvictions, b.Rebalances, b.RebalancePauseMs)
	}
	if s.MaxPollEvictions != 0 || s.Rebalances != 0 || valF(s.RebalancePauseMs) != 0 {
		t.Errorf("20 records a poll: %d evictions, %d rebalances, pause %v; want none", s.MaxPollEvictions, s.Rebalances, s.RebalancePauseMs)
	}
	if s.Lag.Max < 1000 {
		t.Errorf("20 records a poll: lag max %d; the spike should build lag", s.Lag.Max)
	}
}

// delivery-semantics: committing before processing loses the batch in
// hand at a crash and never duplicates; committing after processing never
// loses; consume-transform-produce in transactions (exactly-once) neither
// loses nor duplicates on the committed output, although the crash's
// batch is processed twice.
func TestDeliverySemantics(t *testing.T) {
	t.Parallel()
	vs := run(t, "delivery-semantics", "duration=4s", "drain=25s", "workload.rate=700",
		"faults=[{at: 1500ms, kind: consumer-crash, group: semantics, instance: 0}]")
	amo, alo, eos := variant(t, vs, "commit=before-process"), variant(t, vs, "commit=after-process"), variant(t, vs, "commit=transactional")
	for _, v := range []*report.Variant{amo, alo, eos} {
		produced(t, v)
		if v.Config.Driver != "franz-go" {
			t.Errorf("%s: driver %q, want franz-go", v.Name, v.Config.Driver)
		}
		if len(v.Faults) != 1 || v.Faults[0].Error != "" || valF(v.Faults[0].FailoverMs) <= 0 {
			t.Errorf("%s: faults %+v", v.Name, v.Faults)
		}
	}
	a, l, e := group(t, amo, "semantics"), group(t, alo, "semantics"), group(t, eos, "semantics")
	// The crashed member always holds a committed, unprocessed batch: the
	// members have a backlog (700 msg/s for ~570 msg/s of processing).
	// franz-go commits a whole poll (at most 500 records) before
	// processing it, so the loss is the rest of that batch, never more.
	if val(a.Delivery.Lost) == 0 || val(a.Delivery.Lost) > 500 {
		t.Errorf("at-most-once: lost %d; want the rest of the batch in hand at the crash", val(a.Delivery.Lost))
	}
	if a.Delivery.Duplicated != 0 {
		t.Errorf("at-most-once: duplicated %d", a.Delivery.Duplicated)
	}
	if val(l.Delivery.Lost) != 0 || l.Messages < alo.Produce.Messages {
		t.Errorf("at-least-once: lost %d, consumed %d of %d; want nothing lost", val(l.Delivery.Lost), l.Messages, alo.Produce.Messages)
	}
	// Everything consumed twice was counted as consumed each time.
	if l.Messages != alo.Produce.Messages+l.Delivery.Duplicated {
		t.Errorf("at-least-once: consumed %d != produced %d + duplicated %d", l.Messages, alo.Produce.Messages, l.Delivery.Duplicated)
	}
	// Exactly-once: the crash hit a transaction in progress (its batch
	// was processed, then processed again by the next owner: more
	// processed than produced), yet the committed output (the group's
	// delivery figures for a transactional group) has every message once.
	if e.Messages <= eos.Produce.Messages {
		t.Errorf("exactly-once: processed %d of %d; want the crashed member's batch processed again", e.Messages, eos.Produce.Messages)
	}
	if val(e.Delivery.Lost) != 0 || e.Delivery.Duplicated != 0 || e.Delivery.Reordered != 0 || e.Delivery.Foreign != 0 {
		t.Errorf("exactly-once: committed output lost %d, duplicated %d, reordered %d, foreign %d; want every message once",
			val(e.Delivery.Lost), e.Delivery.Duplicated, e.Delivery.Reordered, e.Delivery.Foreign)
	}
	if e.Lag.Final != 0 || valF(e.Lag.DrainMs) < 0 {
		t.Errorf("exactly-once: final lag %d, drain %.0f ms", e.Lag.Final, valF(e.Lag.DrainMs))
	}
}

// multi-group: each group keeps its own offsets: the slow group's lag is far
// above the fast one's, the crash rebalances only its own group, and every
// group ends up with every message.
func TestMultiGroup(t *testing.T) {
	t.Parallel()
	vs := run(t, "multi-group", "duration=4s", "drain=20s", "faults.0.at=1s",
		"consumers.2.session_timeout=1500ms", "consumers.2.heartbeat_interval=300ms")
	v := variant(t, vs, "multi-group")
	produced(t, v)
	rt, an, au := group(t, v, "realtime"), group(t, v, "analytics"), group(t, v, "audit")
	for _, g := range []*report.Group{rt, an, au} {
		consumedAll(t, v, g)
	}
	if an.Lag.Max < 10*max(rt.Lag.Max, 10) {
		t.Errorf("lag max: analytics %d, realtime %d; the slow group should be far behind", an.Lag.Max, rt.Lag.Max)
	}
	// The crash rebalances the audit group; analytics (one member) never
	// rebalances. (realtime's three members may rebalance once while they
	// join at the start, so its count is not checked.)
	if au.Rebalances < 1 || an.Rebalances != 0 {
		t.Errorf("rebalances: audit %d, analytics %d; want audit's crash to rebalance audit alone", au.Rebalances, an.Rebalances)
	}
	if len(v.Faults) != 1 || valF(v.Faults[0].FailoverMs) <= 0 {
		t.Errorf("faults %+v", v.Faults)
	}
}

func optMs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *p)
}
