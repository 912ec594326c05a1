package driver

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestConsumePathAllocations bounds the heap allocations per message on
// each driver's consumer path (whole process: the client, the driver's Run
// loop with its default after-process commits, and the embedded broker
// serving the fetches), the consumer-side twin of
// TestProducePathAllocations. The bounds are allocations, not times.
func TestConsumePathAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("consumes 120k records")
	}
	// Measured on 100k messages: kafka-go 7.0 per message (its Reader
	// allocates per message and per commit), franz-go 1.3-1.6 (the client
	// decodes each record into its own Record); franz-go was 3.3 while
	// every record was marked for commit on its own (kgo's
	// MarkCommitRecords allocates per call: see marker).
	maxPerMsg := map[string]float64{KafkaGo: 8, FranzGo: 2.2}
	tc := startCluster(t)
	for _, d := range Names() {
		t.Run(d, func(t *testing.T) {
			topic := tc.topic(t, "consume-allocs-"+d, 6)
			const warm, n = 20000, 100000
			newPathRun(t, tc, d, topic).produce(t, warm+n)
			c, err := NewConsumer(d, ConsumerConfig{Brokers: tc.emb.Addrs(), Topic: topic, Group: "allocs-" + d, Partitions: 6})
			if err != nil {
				t.Fatal(err)
			}
			var handled atomic.Int64
			var before runtime.MemStats
			measured := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- c.Run(ctx, func(*Message) error {
					if handled.Add(1) == warm {
						runtime.ReadMemStats(&before) // the handler waits: nothing is consumed meanwhile
						close(measured)
					}
					return nil
				})
			}()
			t.Cleanup(func() {
				cancel()
				_ = c.Close()
				<-done
			})
			deadline := time.Now().Add(60 * time.Second)
			for handled.Load() < warm+n {
				if time.Now().After(deadline) {
					t.Fatalf("consumed %d of %d", handled.Load(), warm+n)
				}
				time.Sleep(time.Millisecond)
			}
			<-measured
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			per := float64(after.Mallocs-before.Mallocs) / n
			t.Logf("%s: %.3f allocations per message", d, per)
			if per > maxPerMsg[d] {
				t.Errorf("%s: %.3f allocations per message, want at most %.1f", d, per, maxPerMsg[d])
			}
		})
	}
}
