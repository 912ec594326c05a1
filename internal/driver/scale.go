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

// KafkaGoMaxPartitionReaders is the most partition readers (partitions
// times the consumer groups reading them) kbench lets kafka-go run. Its
// Reader sets up every partition a member is assigned on its own: a
// connection and a goroutine to fetch it, and, at every rebalance, two more
// connections and a Metadata request for the whole topic
// (reader.initialize -> Dialer.DialLeader -> LookupPartition ->
// Conn.ReadPartitions). A group on P partitions thus reads P² partition
// entries per generation. On the embedded broker (2 cores): one group on
// 1,000 partitions costs about 3 s of CPU per generation and runs; one on
// 2,000 runs; one on 5,000 (25 million entries) did not finish setting up
// (lookups timed out); ten groups on 1,000 partitions (10,000 readers)
// failed with refused connections after 17 s and 1.3 GB (docs/scale.md).
const KafkaGoMaxPartitionReaders = 2000

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
	if readers := int64(s.Groups) * int64(s.Partitions); readers > KafkaGoMaxPartitionReaders {
		entries := readers * int64(s.Partitions)
		return fmt.Errorf("%d partitions read by %d consumer group(s) on the kafka-go driver: its Reader fetches each partition on its own connection and sets each one up with a metadata lookup of the whole topic, %d partition readers and %d partition entries at every rebalance (%d readers at most, docs/scale.md); use producer.driver franz-go (one fetch session per member), fewer partitions or fewer groups",
			s.Partitions, s.Groups, readers, entries, KafkaGoMaxPartitionReaders)
	}
	per := int64(kafkaGoBatchSize(s.BatchSize, s.PeakRate, s.Linger)) * kafkaGoMessageBytes
	if total := int64(max(s.Producers, 1)) * int64(s.Partitions) * per; total > KafkaGoMaxBatchMemory {
		return fmt.Errorf("%d partitions on the kafka-go driver: its Writer preallocates a batch of %d messages (%d B) per partition it writes to, %d MiB for %d producer(s), over the %d MiB kbench allows (docs/scale.md); lower producer.batch_size, pace the run (workload.rate), or use producer.driver franz-go",
			s.Partitions, per/kafkaGoMessageBytes, per, total>>20, max(s.Producers, 1), KafkaGoMaxBatchMemory>>20)
	}
	return nil
}
