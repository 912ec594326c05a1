package driver

import (
	"fmt"
	"time"
)

// Scale is what a run asks of a driver on one topic.
type Scale struct {
	Partitions int
	// Groups is the number of consumer groups reading the topic (0: none).
	Groups int
	// Producers is the number of producer clients; BatchSize, PeakRate
	// (per producer, 0 unpaced) and Linger are each one's settings.
	Producers int
	BatchSize int
	PeakRate  float64
	Linger    time.Duration
}

// KafkaGoMaxGroupPartitions is the widest topic kbench lets kafka-go
// consumer groups read. kafka-go's Reader sets up every partition a member
// is assigned on its own: two connections and a Metadata request for the
// whole topic each (reader.initialize -> Dialer.DialLeader ->
// LookupPartition -> Conn.ReadPartitions), at every rebalance. A group on P
// partitions thus reads P² partition entries per generation: on the
// embedded broker 1,000 partitions cost about 3 s of CPU (client and broker)
// per generation, 2,000 about 11 s and still ran, 5,000 (25 million
// entries) did not finish setting up: the lookups timed out (docs/scale.md).
const KafkaGoMaxGroupPartitions = 2000

// KafkaGoMaxBatchMemory bounds what kafka-go's Writers may preallocate for
// one open batch on every partition (see kafkaGoBatchSize): beyond it a
// run on a wide topic risks running the machine out of memory.
const KafkaGoMaxBatchMemory = 1 << 30

// CheckScale says, before any load, when the named driver cannot serve s:
// the error gives the numbers and the driver that can. nil: no known limit.
func CheckScale(name string, s Scale) error {
	if name != KafkaGo && name != "" {
		return nil // franz-go fetches and produces per broker, not per partition
	}
	if s.Groups > 0 && s.Partitions > KafkaGoMaxGroupPartitions {
		entries := int64(s.Partitions) * int64(s.Partitions)
		return fmt.Errorf("%d partitions with consumer groups on the kafka-go driver: its Reader sets up each assigned partition with its own connections and a metadata lookup of the whole topic, %d partition entries at every rebalance (%d partitions at most, docs/scale.md); use producer.driver franz-go (one fetch session per member) or fewer partitions",
			s.Partitions, entries, KafkaGoMaxGroupPartitions)
	}
	per := int64(kafkaGoBatchSize(s.BatchSize, s.PeakRate, s.Linger)) * kafkaGoMessageBytes
	if total := int64(max(s.Producers, 1)) * int64(s.Partitions) * per; total > KafkaGoMaxBatchMemory {
		return fmt.Errorf("%d partitions on the kafka-go driver: its Writer preallocates a batch of %d messages (%d B) per partition it writes to, %d MiB for %d producer(s), over the %d MiB kbench allows (docs/scale.md); lower producer.batch_size, pace the run (workload.rate), or use producer.driver franz-go",
			s.Partitions, per/kafkaGoMessageBytes, per, total>>20, max(s.Producers, 1), KafkaGoMaxBatchMemory>>20)
	}
	return nil
}
