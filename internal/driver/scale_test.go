package driver

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestKafkaGoBatchSize(t *testing.T) {
	for _, c := range []struct {
		batch  int
		peak   float64
		linger time.Duration
		want   int
	}{
		{1000, 0, 5 * time.Millisecond, 1000},             // unpaced: as configured
		{1000, 20000, 5 * time.Millisecond, 200},          // twice a linger's worth
		{1000, 200000, 5 * time.Millisecond, 1000},        // a linger fills more than batch_size
		{1000, 1000, 5 * time.Millisecond, 64},            // at least minKafkaGoBatch
		{10, 1000, 5 * time.Millisecond, 10},              // never more than batch_size
		{1000, 20000, 0, 64},                              // no linger: one call's records
		{0, 0, 0, 1},                                      // at least one message
		{500, 20000, 10 * time.Millisecond, 400},          // 2 x 20000 x 10ms
		{1000, 33333.3, 5 * time.Millisecond, 334},        // rounded up
		{1000, 20000, -time.Millisecond, minKafkaGoBatch}, // a negative linger is none
	} {
		if got := kafkaGoBatchSize(c.batch, c.peak, c.linger); got != c.want {
			t.Errorf("kafkaGoBatchSize(%d, %v, %v) = %d, want %d", c.batch, c.peak, c.linger, got, c.want)
		}
	}
}

func TestKafkaGoMaxWait(t *testing.T) {
	for p, want := range map[int]time.Duration{
		0: 100 * time.Millisecond, 6: 100 * time.Millisecond, 100: 100 * time.Millisecond,
		250: 250 * time.Millisecond, 1000: time.Second, 5000: 2 * time.Second,
	} {
		if got := kafkaGoMaxWait(p); got != want {
			t.Errorf("kafkaGoMaxWait(%d) = %v, want %v", p, got, want)
		}
	}
}

func TestCheckScale(t *testing.T) {
	wide := Scale{Partitions: KafkaGoMaxPartitionReaders + 1, Groups: 1, Producers: 1, BatchSize: 1000, PeakRate: 20000, Linger: 5 * time.Millisecond}
	err := CheckScale(KafkaGo, wide)
	if err == nil || !strings.Contains(err.Error(), "franz-go") || !strings.Contains(err.Error(), "partition entries") {
		t.Errorf("kafka-go groups on %d partitions: %v", wide.Partitions, err)
	}
	if err := CheckScale(FranzGo, wide); err != nil {
		t.Errorf("franz-go refused: %v", err)
	}
	at := wide
	at.Partitions = KafkaGoMaxPartitionReaders
	if err := CheckScale(KafkaGo, at); err != nil {
		t.Errorf("kafka-go groups at the limit refused: %v", err)
	}
	// Ten groups on 1,000 partitions are 10,000 partition readers.
	many := Scale{Partitions: 1000, Groups: 10, Producers: 1, BatchSize: 1000, PeakRate: 5000, Linger: 5 * time.Millisecond}
	if err := CheckScale(KafkaGo, many); err == nil || !strings.Contains(err.Error(), "10000 partition readers") {
		t.Errorf("kafka-go, 10 groups on 1,000 partitions: %v", err)
	}
	many.Groups = 2
	if err := CheckScale(KafkaGo, many); err != nil {
		t.Errorf("kafka-go, 2 groups on 1,000 partitions refused: %v", err)
	}
	// Producer-only at 10,000 partitions: paced, 200-message batches fit
	// (304 MB); unpaced, 1,000-message batches (1.4 GB) do not.
	prod := Scale{Partitions: 10000, Producers: 1, BatchSize: 1000, PeakRate: 20000, Linger: 5 * time.Millisecond}
	if err := CheckScale(KafkaGo, prod); err != nil {
		t.Errorf("paced producer refused: %v", err)
	}
	prod.PeakRate = 0
	if err := CheckScale("", prod); err == nil || !strings.Contains(err.Error(), "1449 MiB") {
		t.Errorf("unpaced producer on 10,000 partitions: %v", err)
	}
	if err := CheckScale(FranzGo, prod); err != nil {
		t.Errorf("franz-go producer refused: %v", err)
	}
}

// TestKafkaGoWideTopic: on 1,000 partitions with thin traffic, every
// record is acknowledged once while the Writer holds no more connections
// than requests it may have in flight (without the limit kafka-go dials one
// per partition with a batch in flight).
func TestKafkaGoWideTopic(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P, N = 1000, 5000
	topic := tc.topic(t, "kg-wide", P)
	var dials, open, most atomic.Int64
	var d net.Dialer
	var mu sync.Mutex
	acked := map[int]int{}
	var failed error
	p, err := NewKafkaGoProducer(ProducerConfig{
		Brokers: tc.emb.Addrs(), Topic: topic, BatchSize: 1000, Linger: 5 * time.Millisecond,
		PeakRate: 20000, Acks: "all",
		OnAck: func(acks []Ack, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil && failed == nil {
				failed = err
			}
			for _, a := range acks {
				acked[a.Token.(int)]++
			}
		},
		Net: Net{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				dials.Add(1)
				n := open.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				c = &countedConn{Conn: c, open: &open}
			}
			return c, err
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs := make([]Record, 0, 100)
	for i := 0; i < N; i++ {
		recs = append(recs, Record{Partition: (i * 7) % P, Value: []byte("v"), Header: make([]byte, 37), Token: i})
		if len(recs) == cap(recs) {
			if err := p.Produce(ctx, recs); err != nil {
				t.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if failed != nil {
		t.Fatalf("delivery failed: %v", failed)
	}
	for i := 0; i < N; i++ {
		if acked[i] != 1 {
			t.Fatalf("record %d acknowledged %d times", i, acked[i])
		}
	}
	var sum int64
	for _, n := range endOffsets(t, tc, topic, P) {
		sum += n
	}
	if sum != N {
		t.Errorf("broker holds %d records, %d acknowledged", sum, N)
	}
	// Requests in flight plus a few of the Transport's own (metadata
	// discovery on the bootstrap and the broker addresses).
	if m := most.Load(); m > kafkaGoRequests+4 {
		t.Errorf("%d connections open at once (%d dialled), want at most %d", m, dials.Load(), kafkaGoRequests+4)
	}
}

type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}
