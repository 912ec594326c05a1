package runner_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

const (
	existingTopic = "orders"
	existingParts = 3
	existingPer   = 200 // records per partition
)

// existingCluster is a broker holding a topic kbench did not create: 600
// keyed records without a kbench header, and a group "billing" that has
// committed offsets 10/20/30.
func existingCluster(t *testing.T) (*broker.Embedded, *kadm.Client) {
	t.Helper()
	emb, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(emb.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, existingParts, 1, nil, existingTopic); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for p := int32(0); p < existingParts; p++ {
		for i := 0; i < existingPer; i++ {
			recs = append(recs, &kgo.Record{Topic: existingTopic, Partition: p, Key: []byte(fmt.Sprintf("order-%d", i)), Value: []byte(`{"amount": 1}`)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var os kadm.Offsets
	for p := int32(0); p < existingParts; p++ {
		os.AddOffset(existingTopic, p, int64(10*(p+1)), -1)
	}
	if r, err := adm.CommitOffsets(ctx, "billing", os); err != nil || r.Error() != nil {
		t.Fatalf("commit: %v %v", err, r.Error())
	}
	return emb, adm
}

// topicState is what a run must leave unchanged: the topic's partition
// count, start and end offsets, and the billing group's commits.
type topicState struct {
	partitions  int
	start, end  map[int32]int64
	billing     map[int32]int64
	groupsOther []string // groups not created by kbench
}

func stateOf(t *testing.T, adm *kadm.Client) topicState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	md, err := adm.Metadata(ctx, existingTopic)
	if err != nil {
		t.Fatal(err)
	}
	s := topicState{partitions: len(md.Topics[existingTopic].Partitions), start: map[int32]int64{}, end: map[int32]int64{}, billing: map[int32]int64{}}
	lo, err := adm.ListStartOffsets(ctx, existingTopic)
	if err != nil {
		t.Fatal(err)
	}
	lo.Each(func(o kadm.ListedOffset) { s.start[o.Partition] = o.Offset })
	le, err := adm.ListEndOffsets(ctx, existingTopic)
	if err != nil {
		t.Fatal(err)
	}
	le.Each(func(o kadm.ListedOffset) { s.end[o.Partition] = o.Offset })
	f, err := adm.FetchOffsets(ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	f.Each(func(o kadm.OffsetResponse) { s.billing[o.Partition] = o.At })
	gs, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs.Groups() {
		if !strings.HasPrefix(g, "reader-") {
			s.groupsOther = append(s.groupsOther, g)
		}
	}
	sort.Strings(s.groupsOther)
	return s
}

const existingYAML = `
name: existing
duration: 1s
drain: 20s
topic: {existing: orders}
consumers:
  - {group: reader, instances: 2, session_timeout: 2s, heartbeat_interval: 300ms}
`

func runExisting(t *testing.T, emb *broker.Embedded, yaml string, sets ...string) report.Variant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var log strings.Builder
	res, err := runner.Run(ctx, plan(t, yaml, sets...), runner.Options{Brokers: emb.Addrs(), Log: &log})
	if err != nil || !res.Complete {
		t.Fatalf("run: %v (complete %v)\n%s", err, res.Complete, log.String())
	}
	if !strings.Contains(log.String(), "existing: never deleted") {
		t.Errorf("the log does not say the topic is kept:\n%s", log.String())
	}
	return res.Variants[0]
}

// TestExistingTopicConsumeOnly: a consume-only run reads every record of
// a topic kbench did not create, from the chosen offset, and leaves the
// topic, its records and the other group's offsets as they were.
func TestExistingTopicConsumeOnly(t *testing.T) {
	emb, adm := existingCluster(t)
	before := stateOf(t, adm)
	for _, tc := range []struct {
		from string
		want int64
	}{
		{"earliest", existingParts * existingPer},
		{"150", existingParts * (existingPer - 150)},
		{"latest", 0},
	} {
		began := time.Now()
		v := runExisting(t, emb, existingYAML, "topic.from="+tc.from)
		wall := time.Since(began)
		if v.Topic != existingTopic || v.Config.Partitions != existingParts {
			t.Errorf("from %s: topic %s with %d partitions, want %s with %d (read from the broker)", tc.from, v.Topic, v.Config.Partitions, existingTopic, existingParts)
		}
		if v.Produce.Messages != 0 || v.Config.Producers != 0 || v.Config.TargetRate != 0 {
			t.Errorf("from %s: produced %d (%d producers at %g/s), want nothing (consume-only)", tc.from, v.Produce.Messages, v.Config.Producers, v.Config.TargetRate)
		}
		g := v.Consume.Groups[0]
		if g.Messages != tc.want || g.Delivery.Foreign != tc.want {
			t.Errorf("from %s: consumed %d, foreign %d; want %d", tc.from, g.Messages, g.Delivery.Foreign, tc.want)
		}
		// The consuming rate spans the first to the last message read,
		// so it covers the run's wall time at most; nothing read, null.
		switch {
		case tc.want == 0 && g.MsgsPerS != nil:
			t.Errorf("from %s: consumed msg/s %g with nothing consumed, want null", tc.from, *g.MsgsPerS)
		case tc.want > 0 && g.MsgsPerS == nil:
			t.Errorf("from %s: consumed msg/s null, want the rate of %d messages", tc.from, tc.want)
		case tc.want > 0 && float64(tc.want-1) / *g.MsgsPerS > wall.Seconds():
			t.Errorf("from %s: %g msg/s spans %.2fs, longer than the run (%s)", tc.from, *g.MsgsPerS, float64(tc.want-1) / *g.MsgsPerS, wall)
		}
		if g.Drained == nil || !*g.Drained || g.Lag.Final != 0 {
			t.Errorf("from %s: drained %v, final lag %d; want caught up", tc.from, g.Drained, g.Lag.Final)
		}
		if g.Delivery.Lost != nil || g.Delivery.Unconsumed != nil || v.Delivery.Lost != nil {
			t.Errorf("from %s: lost %s, unconsumed %s: want null (nothing acknowledged to miss)", tc.from, show(g.Delivery.Lost), show(g.Delivery.Unconsumed))
		}
		if g.RebalancePauseMs != nil {
			t.Errorf("from %s: rebalance pause %v ms, want null (no acknowledged work to wait)", tc.from, *g.RebalancePauseMs)
		}
		if g.Latency.Count != 0 {
			t.Errorf("from %s: e2e latency of %d records without a kbench header", tc.from, g.Latency.Count)
		}
		if after := stateOf(t, adm); !reflect.DeepEqual(after, before) {
			t.Fatalf("from %s: the run changed the topic:\nbefore %+v\nafter  %+v", tc.from, before, after)
		}
	}
}

// TestExistingTopicProduce: with producer.allow_existing_topic the run
// writes into the existing topic, counts only what it wrote, and still
// never deletes the topic.
func TestExistingTopicProduce(t *testing.T) {
	emb, adm := existingCluster(t)
	before := stateOf(t, adm)
	v := runExisting(t, emb, existingYAML+"workload: {rate: 500, messages: 300, message: {size: 100}}\nproducer: {allow_existing_topic: true}\n", "topic.from=latest")
	if v.Produce.Messages != 300 {
		t.Fatalf("produced %d, want 300", v.Produce.Messages)
	}
	var broker int64
	for _, p := range v.Partitions {
		if p.BrokerMessages == nil {
			t.Fatalf("partition %d: broker count not read", p.Partition)
		}
		broker += *p.BrokerMessages
	}
	if broker != 300 {
		t.Errorf("broker-side count %d, want the 300 written during the run (not the topic's earlier records)", broker)
	}
	g := v.Consume.Groups[0]
	if g.Messages != 300 || g.Delivery.Lost == nil || *g.Delivery.Lost != 0 || g.Delivery.Foreign != 0 {
		t.Errorf("consumed %d, lost %s, foreign %d; want 300, 0, 0 (from latest)", g.Messages, show(g.Delivery.Lost), g.Delivery.Foreign)
	}
	after := stateOf(t, adm)
	var grown int64
	for p, e := range after.end {
		grown += e - before.end[p]
	}
	if after.partitions != existingParts || grown != 300 || !reflect.DeepEqual(after.billing, before.billing) || !reflect.DeepEqual(after.start, before.start) {
		t.Errorf("topic after: %+v (grew %d), before %+v", after, grown, before)
	}
}
