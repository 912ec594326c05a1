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
			OnAck: func(acks []Ack, err error) {
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

// A kafka-go member reports Settled only once every partition of its
// assignment has its reader set up, and again after a rebalance changes the
// assignment: not before the first assignment, and not for a generation
// whose partitions it has not all set up.
func TestKafkaGoConsumerSettles(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P = 40
	topic := tc.topic(t, "kg-settle", P)
	mk := func(i int) *kafkaGoConsumer {
		c, err := NewKafkaGoConsumer(ConsumerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Group: "kg-settle", Instance: i, Partitions: P,
			Commit: "after-process", SessionTimeout: 10 * time.Second, HeartbeatInterval: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c.(*kafkaGoConsumer)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var members []*kafkaGoConsumer
	defer func() {
		cancel()
		for _, c := range members {
			_ = c.Close()
		}
		wg.Wait()
	}()
	run := func(c *kafkaGoConsumer) {
		members = append(members, c)
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(ctx, func(*Message) error { return nil }) }()
	}
	settled := func(cs ...*kafkaGoConsumer) bool {
		for _, c := range cs {
			if !c.Settled() {
				return false
			}
		}
		return true
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("not %s within 45s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	a := mk(0)
	if a.Settled() {
		t.Fatal("settled before joining the group")
	}
	run(a)
	waitFor("settled with the whole topic", func() bool { return settled(a) && len(a.Assigned()) == P })
	a.gens.mu.Lock()
	if n := len(a.gens.fetching); n != P {
		t.Errorf("settled with %d of %d partitions set up", n, P)
	}
	a.gens.mu.Unlock()
	b := mk(1)
	run(b)
	// The second join is a new generation for both: neither is settled
	// until it has set up the half it holds now.
	waitFor("both settled on halves", func() bool {
		return settled(a, b) && len(a.Assigned())+len(b.Assigned()) == P && len(b.Assigned()) > 0
	})
	for _, c := range []*kafkaGoConsumer{a, b} {
		c.gens.mu.Lock()
		for _, p := range c.gens.owned {
			if _, ok := c.gens.fetching[p]; !ok {
				t.Errorf("partition %d owned but not set up", p)
			}
		}
		if len(c.gens.fetching) != len(c.gens.owned) {
			t.Errorf("%d partitions counted as set up, %d owned: the previous generation's were kept", len(c.gens.fetching), len(c.gens.owned))
		}
		c.gens.mu.Unlock()
	}
}
