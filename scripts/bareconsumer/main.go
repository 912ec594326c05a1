// Command bareconsumer is the baseline for kbench's consumer overhead: one
// group member reading a pre-filled topic in a plain client loop, with the
// settings and the commit mode of kbench's drivers (after-process, the
// default: each message committed once handled, flushed every 200ms), and
// printing the messages per second from the first message received to the
// -messages'th (the same span as kbench's consume.groups[].msgs_per_s).
//
//	-driver franz-go: a kgo group consumer, PollRecords(500) /
//	    MarkCommitRecords, AutoCommitMarks, BlockRebalanceOnPoll;
//	-driver kafka-go: a Reader in a group, FetchMessage / CommitMessages,
//	    QueueCapacity 1000, MaxBytes 4 MiB, MaxWait 100ms.
//
// scripts/consume-overhead.sh runs it beside a consume-only `kbench run`
// (topic: {existing: ...}) on the same pre-filled topic.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap broker")
	topic := flag.String("topic", "bareconsumer", "topic to read (must hold -messages records)")
	group := flag.String("group", "bareconsumer", "consumer group id (use a fresh one per run)")
	driver := flag.String("driver", "franz-go", "client: franz-go or kafka-go")
	messages := flag.Int64("messages", 1_000_000, "stop after this many messages")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *messages < 2 {
		fail(errors.New("-messages must be at least 2"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var (
		span time.Duration
		err  error
	)
	switch *driver {
	case "franz-go":
		span, err = franzGo(ctx, *brokers, *topic, *group, *messages)
	case "kafka-go":
		span, err = kafkaGo(ctx, *brokers, *topic, *group, *messages)
	default:
		err = fmt.Errorf("-driver %q: want franz-go or kafka-go", *driver)
	}
	if err != nil {
		fail(err)
	}
	fmt.Printf("%.0f\n", float64(*messages-1)/span.Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bareconsumer:", err)
	os.Exit(1)
}

// franzGo reads n records and returns the time from the first to the
// n'th.
func franzGo(ctx context.Context, brokers, topic, group string, n int64) (time.Duration, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.BlockRebalanceOnPoll(),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(200*time.Millisecond),
	)
	if err != nil {
		return 0, err
	}
	// With BlockRebalanceOnPoll, leaving the group waits for the last
	// poll to allow rebalancing.
	defer func() { cl.AllowRebalance(); cl.Close() }()
	var got int64
	var first time.Time
	for got < n {
		cl.AllowRebalance()
		fs := cl.PollRecords(ctx, 500)
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%d of %d messages: %w", got, n, ctx.Err())
		}
		for _, r := range fs.Records() {
			if got == 0 {
				first = time.Now()
			}
			got++
			cl.MarkCommitRecords(r)
			if got == n {
				break
			}
		}
	}
	span := time.Since(first)
	_ = cl.CommitMarkedOffsets(ctx)
	return span, nil
}

// kafkaGo reads n messages and returns the time from the first to the
// n'th.
func kafkaGo(ctx context.Context, brokers, topic, group string, n int64) (time.Duration, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:          []string{brokers},
		GroupID:          group,
		Topic:            topic,
		QueueCapacity:    1000,
		MinBytes:         1,
		MaxBytes:         4 << 20,
		MaxWait:          100 * time.Millisecond,
		ReadBatchTimeout: 2 * time.Second,
		CommitInterval:   200 * time.Millisecond,
		StartOffset:      kafka.FirstOffset,
	})
	defer r.Close()
	var first time.Time
	for got := int64(0); got < n; got++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return 0, fmt.Errorf("%d of %d messages: %w", got, n, err)
		}
		if got == 0 {
			first = time.Now()
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			return 0, err
		}
	}
	return time.Since(first), nil
}
