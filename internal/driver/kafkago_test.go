package driver

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The kafka-go driver's own tests, against the embedded broker over TCP,
// with the helpers shared with the franz-go driver's tests.

// TestProducers: every driver delivers each record once, acknowledged on
// its partition, and the broker holds exactly what was acknowledged.
func TestProducers(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P, N = 6, 5000
	for i, d := range Names() {
		t.Run(d, func(t *testing.T) {
			topic := tc.topic(t, d+"-produce", P)
			newP := func(c ProducerConfig) (Producer, error) { return NewProducer(d, c) }
			counts := produceAll(t, tc, newP, topic, P, N, uint32(20+i))
			end := endOffsets(t, tc, topic, P)
			for p := range counts {
				if end[p] != counts[p] {
					t.Errorf("partition %d: broker has %d, produced %d", p, end[p], counts[p])
				}
			}
		})
	}
}

// Every acks setting and codec delivers what was handed over, and every
// record's ack comes back exactly once.
func TestKafkaGoProducerAcksAndCompression(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	for _, c := range []struct{ acks, comp string }{{"1", "lz4"}, {"all", "zstd"}, {"all", "snappy"}, {"1", "gzip"}} {
		topic := tc.topic(t, "kg-acks-"+c.acks+"-"+c.comp, 3)
		var mu sync.Mutex
		acked := 0
		p, err := NewKafkaGoProducer(ProducerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Acks: c.acks, Compression: c.comp,
			BatchSize: 100, Linger: 2 * time.Millisecond,
			OnAck: func(acks []Ack, _ time.Time, err error) {
				if err != nil {
					t.Errorf("%s/%s: %v", c.acks, c.comp, err)
				}
				mu.Lock()
				acked += len(acks)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]Record, 300)
		for i := range recs {
			recs[i] = Record{Partition: i % 3, Value: []byte("value"), Header: make([]byte, 37)}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := p.Produce(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		end := endOffsets(t, tc, topic, 3)
		if mu.Lock(); acked != 300 || end[0]+end[1]+end[2] != 300 {
			t.Errorf("%s/%s: %d acked, broker holds %v", c.acks, c.comp, acked, end)
		}
		mu.Unlock()
	}
}

func TestKafkaGoConsumerCommitModes(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P, N = 6, 3000
	topic := tc.topic(t, "kg-consume", P)
	produceAll(t, tc, NewKafkaGoProducer, topic, P, N, 12)
	for _, mode := range []string{"auto", "after-process", "before-process"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// At-most-once may skip a message committed in a generation
			// that ends while it is being handed out (the second member's
			// join): one member, no rebalance, so every message counts.
			members := 2
			if mode == "before-process" {
				members = 1
			}
			cs := consumeAll(t, tc, NewKafkaGoConsumer, topic, "kg-"+mode, mode, P, members, N, 12)
			var most int64
			for _, c := range cs {
				most = max(most, c.Rebalances())
			}
			if most < 1 {
				t.Errorf("no member counted its first join")
			}
		})
	}
}

func TestKafkaGoConsumerRejectsTransactional(t *testing.T) {
	if _, err := NewKafkaGoConsumer(ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g", Commit: "transactional"}); err == nil {
		t.Error("kafka-go accepted transactional commits")
	}
}
