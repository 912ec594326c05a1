package admin_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
)

// startAdmin starts an embedded broker and an admin client on it, both
// closed when the test ends.
func startAdmin(t *testing.T) (*broker.Embedded, *admin.Client) {
	t.Helper()
	b, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	adm, err := admin.New(admin.Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	return b, adm
}

// TestAdminOnTheEmbeddedBroker drives every call against a real broker over
// TCP: topic creation, offsets, a group's commits and readiness, trimming.
func TestAdminOnTheEmbeddedBroker(t *testing.T) {
	b, adm := startAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adm.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	const topic, P = "admin-test", 3
	if err := adm.CreateTopic(ctx, topic, P, 1); err != nil {
		t.Fatal(err)
	}

	// 10 records on partition 0, 4 on partition 2.
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 14 {
		p := int32(0)
		if i >= 10 {
			p = 2
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	end, err := adm.EndOffsets(ctx, topic, P)
	if err != nil || end[0] != 10 || end[1] != 0 || end[2] != 4 {
		t.Fatalf("end offsets %v %v", end, err)
	}

	// A group commits 6 on partition 0 and nothing elsewhere.
	const group = "admin-test-group"
	if c, err := adm.Committed(ctx, group, topic, P); err != nil || c[0] != -1 {
		t.Fatalf("nothing committed yet: %v %v", c, err)
	}
	var offs kadm.Offsets
	offs.AddOffset(topic, 0, 6, -1)
	if resp, err := kadm.NewClient(cl).CommitOffsets(ctx, group, offs); err != nil || resp.Error() != nil {
		t.Fatal(err, resp.Error())
	}
	c, err := adm.Committed(ctx, group, topic, P)
	if err != nil || c[0] != 6 || c[1] != -1 || c[2] != -1 {
		t.Fatalf("committed %v %v", c, err)
	}

	// Trimming below the committed offset moves the start, not the end.
	if err := adm.TrimCommitted(ctx); err != nil {
		t.Fatal(err)
	}
	start, err := adm.StartOffsets(ctx, topic, P)
	if err != nil || start[0] != 6 || start[2] != 0 {
		t.Fatalf("start offsets after trim %v %v", start, err)
	}
	if err := adm.DeleteRecords(ctx, topic, []int64{0, 0, 3}); err != nil {
		t.Fatal(err)
	}
	if start, _ = adm.StartOffsets(ctx, topic, P); start[2] != 3 {
		t.Fatalf("start offsets after delete %v", start)
	}

	// The group becomes ready once its member holds an assignment. (The
	// member joins only now: an admin commit into a group with a member
	// joining is refused with UNKNOWN_MEMBER_ID.)
	gc, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	gc.PollFetches(ctx) // joins
	deadline := time.Now().Add(20 * time.Second)
	for {
		ready, err := adm.GroupReady(ctx, group, 1)
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group never ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ready, _ := adm.GroupReady(ctx, group, 2); ready {
		t.Fatal("ready with 2 members while it has 1")
	}

	if err := adm.DeleteTopic(ctx, topic); err != nil {
		t.Fatal(err)
	}
}

// An unreachable broker is an error within the context, not a hang.
func TestAdminUnreachable(t *testing.T) {
	adm, err := admin.New(admin.Options{Brokers: []string{"127.0.0.1:1"}, DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := adm.Ping(ctx); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
	if _, err := admin.New(admin.Options{}); err == nil {
		t.Fatal("no brokers accepted")
	}
}

// CreateTopicWith gives the topic its configs on the broker: the segment
// size kbench sets on the embedded broker's topics is what the broker
// describes for the topic, not the broker default.
func TestCreateTopicWithConfigs(t *testing.T) {
	b, adm := startAdmin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := strconv.Itoa(broker.TopicSegmentBytes(1000))
	if err := adm.CreateTopicWith(ctx, "wide-configs", 1000, 1, map[string]string{"segment.bytes": want}); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, "wide-configs")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("wide-configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, c := range rc.Configs {
		if c.Key == "segment.bytes" && c.Value != nil {
			got = *c.Value
		}
	}
	if got != want || want != strconv.Itoa(256<<20/1000) {
		t.Errorf("segment.bytes %q, want %q (256 MiB over 1,000 partitions)", got, want)
	}
	for _, c := range []struct{ parts, want int }{{1, 4 << 20}, {6, 4 << 20}, {64, 4 << 20}, {100, 256 << 20 / 100}, {10000, 64 << 10}} {
		if got := broker.TopicSegmentBytes(c.parts); got != c.want {
			t.Errorf("TopicSegmentBytes(%d) = %d, want %d", c.parts, got, c.want)
		}
	}
}
