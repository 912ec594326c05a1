// Command barewriter is the baseline for kbench's producer overhead: a plain
// kafka-go async Writer loop with the same settings kbench uses, producing
// unthrottled for a fixed time and printing acknowledged messages per second.
// scripts/overhead.sh runs it beside `kbench run` against one `kbench broker`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap broker")
	topic := flag.String("topic", "barewriter", "topic (must exist)")
	size := flag.Int("size", 100, "value bytes")
	dur := flag.Duration("duration", 10*time.Second, "how long to produce")
	batch := flag.Int("batch", 1000, "batch size")
	linger := flag.Duration("linger", 5*time.Millisecond, "batch timeout")
	inflight := flag.Int64("max-in-flight", 100000, "most unacknowledged messages")
	header := flag.Int("header", 0, "bytes of a record header to attach to every message (kbench sends 37)")
	flag.Parse()

	var acked, inFlight atomic.Int64
	w := &kafka.Writer{
		Addr:                   kafka.TCP(*brokers),
		Topic:                  *topic,
		Balancer:               &kafka.Murmur2Balancer{},
		BatchSize:              *batch,
		BatchBytes:             1 << 20,
		BatchTimeout:           *linger,
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		Async:                  true,
		Completion: func(msgs []kafka.Message, err error) {
			if err == nil {
				acked.Add(int64(len(msgs)))
			}
			inFlight.Add(-int64(len(msgs)))
		},
	}
	value := make([]byte, *size)
	keys := [][]byte{[]byte("order"), []byte("user"), []byte("payment"), []byte("auth"), []byte("inventory"), []byte("search")}
	ctx := context.Background()
	start := time.Now()
	end := start.Add(*dur)
	msgs := make([]kafka.Message, 256)
	var hdrs []kafka.Header
	if *header > 0 {
		hdrs = []kafka.Header{{Key: "kbench", Value: make([]byte, *header)}}
	}
	for i := 0; time.Now().Before(end); {
		if inFlight.Load() >= *inflight {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		for j := range msgs {
			msgs[j] = kafka.Message{Key: keys[(i+j)%len(keys)], Value: value, Headers: hdrs}
		}
		i += len(msgs)
		inFlight.Add(int64(len(msgs)))
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			fmt.Fprintln(os.Stderr, "barewriter:", err)
			os.Exit(1)
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "barewriter:", err)
		os.Exit(1)
	}
	el := time.Since(start).Seconds()
	fmt.Printf("%.0f\n", float64(acked.Load())/el)
}
