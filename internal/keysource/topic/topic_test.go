package topic

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/broker"
)

func TestStartPoints(t *testing.T) {
	start, end := []int64{0, 100, 0}, []int64{1000, 300, 0}
	if got := startPoints(start, end, 0); !slices.Equal(got, start) {
		t.Fatalf("no sample: %v", got)
	}
	if got := startPoints(start, end, 5000); !slices.Equal(got, start) {
		t.Fatalf("sample larger than the topic: %v", got)
	}
	// 1200 records, sample 600: the newest half of each partition
	if got := startPoints(start, end, 600); !slices.Equal(got, []int64{500, 200, 0}) {
		t.Fatalf("proportional sample: %v", got)
	}
}

// Read delivers every record once with its partition and key, stops at
// the end offsets, and a missing topic is ErrNoTopic and is not created.
func TestOpenRead(t *testing.T) {
	b, err := broker.Start(broker.Options{DefaultPartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := range 90 {
		k := "k" + strconv.Itoa(i)
		var key []byte
		if i%9 != 0 {
			key = []byte(k)
			want[k] = i % 3
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Key: key, Partition: int32(i % 3)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	tp, err := Open(ctx, Options{Brokers: []string{addr}, Topic: "t", FromOffset: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	if tp.Info.Partitions != 3 || !slices.Equal(tp.Info.End, []int64{30, 30, 30}) {
		t.Fatalf("info %+v", tp.Info)
	}
	got := map[string]int{}
	if err := tp.Read(ctx, func(key []byte, p int) {
		if len(key) > 0 {
			if _, dup := got[string(key)]; dup {
				t.Errorf("%s read twice", key)
			}
			got[string(key)] = p
		}
	}); err != nil {
		t.Fatal(err)
	}
	if tp.Info.Records() != 90 || tp.Info.Keyless != 10 || tp.Info.StoppedBy != "end" || len(got) != len(want) {
		t.Fatalf("read %d records, %d keyless, %d keys, stopped by %s", tp.Info.Records(), tp.Info.Keyless, len(got), tp.Info.StoppedBy)
	}
	for k, p := range want {
		if got[k] != p {
			t.Fatalf("%s on %d, produced to %d", k, got[k], p)
		}
	}
	if _, err := Open(ctx, Options{Brokers: []string{addr}, Topic: "absent", FromOffset: -1}); !errors.Is(err, ErrNoTopic) {
		t.Fatalf("missing topic: %v", err)
	}
	tds, _ := kadm.NewClient(cl).ListTopics(ctx)
	if tds.Has("absent") {
		t.Fatal("reading a missing topic created it")
	}
}
