package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/keying"
)

// topicState is everything --from-topic must leave as it found it.
type topicState struct {
	topics  []string
	start   []int64
	end     []int64
	groups  []string
	commits string // every group's committed offsets, rendered
	records []string
}

func snapshotTopic(t *testing.T, addr, topic string) topicState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var s topicState
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.topics = tds.Names()
	n := len(tds[topic].Partitions)
	flat := func(lo kadm.ListedOffsets, err error) []int64 {
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int64, n)
		for p := range out {
			o, _ := lo.Lookup(topic, int32(p))
			out[p] = o.Offset
		}
		return out
	}
	s.start = flat(adm.ListStartOffsets(ctx, topic))
	s.end = flat(adm.ListEndOffsets(ctx, topic))
	lg, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.groups = lg.Groups()
	slices.Sort(s.groups)
	var commits []string
	for _, g := range s.groups {
		or, err := adm.FetchOffsets(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		or.Each(func(o kadm.OffsetResponse) {
			commits = append(commits, fmt.Sprintf("%s/%s/%d=%d", g, o.Topic, o.Partition, o.At))
		})
	}
	slices.Sort(commits)
	s.commits = strings.Join(commits, ";")
	// every record, read by assignment
	assign := map[int32]kgo.Offset{}
	var total int64
	for p := range n {
		assign[int32(p)] = kgo.NewOffset().At(s.start[p])
		total += s.end[p] - s.start[p]
	}
	rc, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for int64(len(s.records)) < total {
		fs := rc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(s.records), total)
		}
		fs.EachRecord(func(r *kgo.Record) {
			s.records = append(s.records, fmt.Sprintf("%d/%d %q=%q", r.Partition, r.Offset, r.Key, r.Value))
		})
	}
	slices.Sort(s.records)
	return s
}

// diff names what differs between two states ("" when nothing).
func (s topicState) diff(o topicState) string {
	var d []string
	if !slices.Equal(s.topics, o.topics) {
		d = append(d, fmt.Sprintf("topics %v -> %v", s.topics, o.topics))
	}
	if !slices.Equal(s.start, o.start) || !slices.Equal(s.end, o.end) {
		d = append(d, fmt.Sprintf("offsets %v-%v -> %v-%v", s.start, s.end, o.start, o.end))
	}
	if !slices.Equal(s.groups, o.groups) || s.commits != o.commits {
		d = append(d, fmt.Sprintf("groups %v %s -> %v %s", s.groups, s.commits, o.groups, o.commits))
	}
	if !slices.Equal(s.records, o.records) {
		d = append(d, fmt.Sprintf("records: %d -> %d, or their contents", len(s.records), len(o.records)))
	}
	return strings.Join(d, "; ")
}

// A topic filled by kcat (librdkafka's crc32 placement) is explained by
// crc32 for every key and by murmur2 for few; reading it leaves its
// offsets, groups and records unchanged and creates nothing. Skips
// without kcat unless KBENCH_REQUIRE_KCAT=1.
func TestKeysFromTopicKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KBENCH_REQUIRE_KCAT") == "1" {
			t.Fatal("kcat not installed and KBENCH_REQUIRE_KCAT=1")
		}
		t.Skip("kcat not installed")
	}
	const partitions = 7
	b, err := broker.Start(broker.Options{DefaultPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addrs()[0]
	topic := "orders-by-kcat"
	var in bytes.Buffer
	counts := map[string]int{}
	for i := range 2000 {
		k := "order-" + strconv.Itoa(i%400)
		if i%5 == 0 {
			k = "hot-customer"
		}
		counts[k]++
		fmt.Fprintf(&in, "%s:v%d\n", k, i)
	}
	prod := exec.Command(kcat, "-P", "-b", addr, "-t", topic, "-K:")
	prod.Stdin = &in
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	// an application's group with committed offsets, which must stay put
	ctx := context.Background()
	cl, _ := kgo.NewClient(kgo.SeedBrokers(addr))
	adm := kadm.NewClient(cl)
	commit := kadm.Offsets{}
	commit.AddOffset(topic, 0, 3, -1)
	commit.AddOffset(topic, 4, 1, -1)
	if _, err := adm.CommitOffsets(ctx, "billing-app", commit); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	before := snapshotTopic(t, addr, topic)
	if len(before.records) != 2000 {
		t.Fatalf("topic holds %d records", len(before.records))
	}

	saved := t.TempDir() + "/keys.tsv"
	r := runKbench(t, "keys", "--from-topic", topic, "--brokers", addr, "--format", "json", "--salt-hot", "1:4", "--repartition", "10", "--save-keys", saved)
	d := decodeReal(t, r)
	// the sample saved for replay holds every key with its count
	savedB, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(savedB)), "\n")
	if len(lines) != len(counts) || lines[0] != fmt.Sprintf("hot-customer\t%d", counts["hot-customer"]) {
		t.Fatalf("saved %d lines (want %d), first %q", len(lines), len(counts), lines[0])
	}
	for _, l := range lines {
		k, n, _ := strings.Cut(l, "\t")
		if strconv.Itoa(counts[k]) != n {
			t.Fatalf("saved %q, topic holds %d", l, counts[k])
		}
	}
	e := d.Explain
	if e == nil || e.Keyed != 2000 || e.Best != "crc32" || len(e.Disagreeing) != 0 {
		t.Fatalf("placement %+v", e)
	}
	for _, c := range e.Candidates {
		switch c.Partitioner {
		case "crc32":
			if c.Share != 1 || c.Agree != 2000 {
				t.Fatalf("crc32 explains %+v", c)
			}
		case "murmur2":
			if c.Share > 0.5 {
				t.Fatalf("murmur2 explains %.2f of a crc32 topic", c.Share)
			}
		}
	}
	tp := d.Topic
	var sampled int64
	for p := range partitions {
		if tp.OffsetsLoad[p] != before.end[p]-before.start[p] || tp.SampleLoad[p] != tp.OffsetsLoad[p] {
			t.Fatalf("partition %d: offsets load %d, sample %d, want %d", p, tp.OffsetsLoad[p], tp.SampleLoad[p], before.end[p]-before.start[p])
		}
		sampled += tp.SampleLoad[p]
	}
	if sampled != 2000 || tp.StoppedBy != "end" || d.Records != 2000 {
		t.Fatalf("read %d, stopped by %s", sampled, tp.StoppedBy)
	}
	if len(d.HotKeys.Keys) == 0 || d.HotKeys.Keys[0].Key != "hot-customer" || d.HotKeys.Keys[0].Count != int64(counts["hot-customer"]) {
		t.Fatalf("hot keys %+v", d.HotKeys)
	}
	// the what-if's crc32 row on the topic's count is the topic itself
	for _, row := range d.WhatIf {
		if row.Partitioner == "crc32" && row.Partitions == partitions && row.Salt == nil && !slices.Equal(row.Load, tp.SampleLoad) {
			t.Fatalf("crc32 what-if load %v, topic %v", row.Load, tp.SampleLoad)
		}
	}

	// a proportional sample of the newest records, and --from-offset
	s := decodeReal(t, runKbench(t, "keys", "--from-topic", topic, "--brokers", addr, "--sample", "700", "--format", "json"))
	if s.Records < 690 || s.Records > 700 || s.Topic.StoppedBy != "end" {
		t.Fatalf("sample of 700: read %d, stopped by %s", s.Records, s.Topic.StoppedBy)
	}
	for p := range partitions {
		want := float64(tp.OffsetsLoad[p]) * 700 / 2000
		if got := float64(s.Topic.SampleLoad[p]); got > want+1 || got < want-1 {
			t.Fatalf("partition %d sampled %v, proportional share %.1f", p, got, want)
		}
	}
	fo := decodeReal(t, runKbench(t, "keys", "--from-topic", topic, "--brokers", addr, "--from-offset", "250", "--sample", "0", "--format", "json"))
	for p := range partitions {
		if want := max(0, tp.OffsetsLoad[p]-250); fo.Topic.SampleLoad[p] != want {
			t.Fatalf("--from-offset 250: partition %d read %d, want %d", p, fo.Topic.SampleLoad[p], want)
		}
	}
	txt := runKbench(t, "keys", "--from-topic", topic, "--brokers", addr)
	if txt.code != 0 || !strings.Contains(txt.stdout, "every sampled key is where it places it") || !strings.Contains(txt.stdout, "by offsets") {
		t.Fatalf("text: %d\n%s%s", txt.code, txt.stdout, txt.stderr)
	}

	// a topic that does not exist is an error and is not created
	if r := runKbench(t, "keys", "--from-topic", "no-such-topic", "--brokers", addr); r.code != 2 || !strings.Contains(r.stderr, "does not exist") {
		t.Fatalf("missing topic: exit %d %s", r.code, r.stderr)
	}
	after := snapshotTopic(t, addr, topic)
	if d := before.diff(after); d != "" {
		t.Fatalf("--from-topic changed the cluster: %s", d)
	}
	if len(after.groups) != 1 || after.commits == "" || !slices.Equal(after.topics, []string{topic}) {
		t.Fatalf("groups %v commits %q topics %v", after.groups, after.commits, after.topics)
	}
}

// A topic written by two clients with different partitioners shows no
// partitioner near 100%, and lists keys the best one does not explain.
func TestKeysFromTopicMixedClients(t *testing.T) {
	const partitions = 6
	b, err := broker.Start(broker.Options{DefaultPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addrs()[0]
	topic := "mixed"
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 1200 {
		k := []byte("user-" + strconv.Itoa(i))
		p := keying.Murmur2Partition(k, partitions) // a Java service
		if i%3 == 0 {
			p = keying.FNV1aPartition(k, partitions) // a kafka-go service with Hash
		}
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: k, Value: []byte("v"), Partition: int32(p)}, nil)
		if i%10 == 0 {
			cl.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte("keyless"), Partition: int32(i % partitions)}, nil)
		}
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	d := decodeReal(t, runKbench(t, "keys", "--from-topic", topic, "--brokers", addr, "--format", "json"))
	e := d.Explain
	if e.Keyed != 1200 || d.Keyless != 120 || e.Best != "murmur2" || len(e.Disagreeing) == 0 {
		t.Fatalf("placement %+v keyless %d", e, d.Keyless)
	}
	for _, c := range e.Candidates {
		if c.Share > 0.9 {
			t.Fatalf("%s explains %.2f of a mixed topic", c.Partitioner, c.Share)
		}
	}
	for _, dis := range e.Disagreeing {
		i, _ := strconv.Atoi(strings.TrimPrefix(dis.Key, "user-"))
		if i%3 != 0 || dis.Partition != keying.FNV1aPartition([]byte(dis.Key), partitions) {
			t.Fatalf("disagreeing %+v is not a kafka-go key", dis)
		}
	}
	txt := runKbench(t, "keys", "--from-topic", topic, "--brokers", addr)
	if !strings.Contains(txt.stdout, "no partitioner explains every key") {
		t.Fatalf("text:\n%s", txt.stdout)
	}
}
