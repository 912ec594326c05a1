package keying

import (
	"fmt"
	"hash/crc32"
	"math/bits"
	"math/rand/v2"
	"strings"
)

// Partitioner places a record on one of partitions (> 0) partitions.
// An empty key means a keyless record (kbench never sends an empty non-nil
// key, so "empty" and "nil" are the same thing here).
//
// Partition allocates nothing. Partitioners that keep keyless state
// (round-robin counters, sticky partitions, random streams) are not safe for
// concurrent use: one per producer.
type Partitioner interface {
	Partition(key []byte, partitions int) int
}

// PartitionerFunc adapts a function to Partitioner.
type PartitionerFunc func(key []byte, partitions int) int

// Partition calls f.
func (f PartitionerFunc) Partition(key []byte, partitions int) int { return f(key, partitions) }

// PartitionerOptions parametrise the stateful (keyless) behaviour.
type PartitionerOptions struct {
	// BatchSize: how many keyless messages sticky sends to one partition
	// before it moves on (default 1000, the producer's batch_size default).
	BatchSize int
	// Seed of the random choices (keyless crc32, sticky's next partition,
	// murmur2's starting round-robin partition).
	Seed int64
}

// Partitioner names (SPEC §4).
const (
	PartitionerMurmur2    = "murmur2"
	PartitionerCRC32      = "crc32"
	PartitionerFNV1a      = "fnv1a"
	PartitionerRoundRobin = "round-robin"
	PartitionerSticky     = "sticky"
	PartitionerJump       = "jump"
)

// DefaultBatchSize is the sticky partitioner's switch interval.
const DefaultBatchSize = 1000

// Names lists every partitioner name.
func Names() []string {
	return []string{PartitionerMurmur2, PartitionerCRC32, PartitionerFNV1a, PartitionerRoundRobin, PartitionerSticky, PartitionerJump}
}

// NewPartitioner builds the named partitioner; empty means murmur2.
//
//	murmur2      Java client default, keyed: (murmur2(key) & 0x7fffffff) % P,
//	             identical to librdkafka murmur2/murmur2_random and kafka-go
//	             Murmur2Balancer. Keyless: round-robin from a seeded random
//	             start, like the Java DefaultPartitioner before 2.4 (and in
//	             distribution like murmur2_random); the 2.4+ sticky keyless
//	             behaviour is the `sticky` partitioner.
//	crc32        librdkafka / kcat default `consistent_random` (and kafka-go
//	             CRC32Balancer): crc32 IEEE (zlib) of key % P; keyless:
//	             uniformly random partition (seeded).
//	fnv1a        kafka-go Hash balancer and Sarama's default hash partitioner:
//	             p = int32(fnv1a32(key)) % int32(P), negated when negative.
//	             Keyless: round-robin from partition 0 (kafka-go's RoundRobin;
//	             Sarama picks randomly).
//	round-robin  ignores keys: 0, 1, ..., P-1, 0, ... (kafka-go RoundRobin,
//	             librdkafka has none); per producer.
//	sticky       Java 3.3+ BuiltInPartitioner (KIP-794) / 2.4+ (KIP-480):
//	             keyed as murmur2; keyless messages stick to one partition for
//	             BatchSize messages, then move to a uniformly random different
//	             partition (Java weighs by queue sizes, which offline equal).
//	jump         no client ships it: jump consistent hash of FNV-1a 64 of the
//	             key, so growing P->P' moves only ~1-P/P' of keys. Keyless:
//	             round-robin. kbench computes partitions itself, so it works
//	             with every driver.
func NewPartitioner(name string, opt PartitionerOptions) (Partitioner, error) {
	seed := DeriveSeed(opt.Seed, 0x70617274)
	switch name {
	case "", PartitionerMurmur2:
		return &murmur2Partitioner{rr: roundRobin{next: uint64(seed >> 1)}}, nil
	case PartitionerCRC32:
		return &crc32Partitioner{rng: rand.NewPCG(seed, 0x63726333)}, nil
	case PartitionerFNV1a:
		return &fnv1aPartitioner{}, nil
	case PartitionerRoundRobin:
		return &roundRobin{}, nil
	case PartitionerSticky:
		bs := opt.BatchSize
		if bs == 0 {
			bs = DefaultBatchSize
		}
		if bs < 1 {
			return nil, fmt.Errorf("sticky: batch size must be >= 1, got %d", opt.BatchSize)
		}
		return &stickyPartitioner{batch: bs, cur: -1, rng: rand.NewPCG(seed, 0x737469636b)}, nil
	case PartitionerJump:
		return &jumpPartitioner{}, nil
	}
	return nil, fmt.Errorf("unknown partitioner %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// Murmur2Partition is the Java client's keyed placement.
func Murmur2Partition(key []byte, partitions int) int {
	return int((Murmur2(key) & 0x7fffffff) % uint32(partitions))
}

// CRC32Partition is librdkafka's consistent placement: crc32(key) % P.
func CRC32Partition(key []byte, partitions int) int {
	return int(crc32.ChecksumIEEE(key) % uint32(partitions))
}

// FNV1aPartition is kafka-go Hash / Sarama hash placement of a key.
func FNV1aPartition(key []byte, partitions int) int {
	p := int32(FNV1a32(key)) % int32(partitions)
	if p < 0 {
		p = -p
	}
	return int(p)
}

// JumpPartition is kbench's jump placement of a key.
func JumpPartition(key []byte, partitions int) int {
	return JumpHash(FNV1a64(key), partitions)
}

type roundRobin struct{ next uint64 }

func (r *roundRobin) Partition(_ []byte, partitions int) int {
	p := int(r.next % uint64(partitions))
	r.next++
	return p
}

type murmur2Partitioner struct{ rr roundRobin }

func (m *murmur2Partitioner) Partition(key []byte, partitions int) int {
	if len(key) == 0 {
		return m.rr.Partition(nil, partitions)
	}
	return Murmur2Partition(key, partitions)
}

type crc32Partitioner struct{ rng *rand.PCG }

func (c *crc32Partitioner) Partition(key []byte, partitions int) int {
	if len(key) == 0 {
		hi, _ := bits64Mul(c.rng.Uint64(), uint64(partitions))
		return int(hi)
	}
	return CRC32Partition(key, partitions)
}

type fnv1aPartitioner struct{ rr roundRobin }

func (f *fnv1aPartitioner) Partition(key []byte, partitions int) int {
	if len(key) == 0 {
		return f.rr.Partition(nil, partitions)
	}
	return FNV1aPartition(key, partitions)
}

type stickyPartitioner struct {
	batch int
	left  int
	cur   int
	rng   *rand.PCG
}

func (s *stickyPartitioner) Partition(key []byte, partitions int) int {
	if len(key) != 0 {
		return Murmur2Partition(key, partitions)
	}
	if s.left <= 0 || s.cur < 0 || s.cur >= partitions {
		s.cur = s.pick(partitions)
		s.left = s.batch
	}
	s.left--
	return s.cur
}

// pick chooses the next sticky partition uniformly among the others (the
// KIP-480 rule: never the one just left when there is a choice).
func (s *stickyPartitioner) pick(partitions int) int {
	if partitions == 1 {
		return 0
	}
	if s.cur < 0 || s.cur >= partitions {
		hi, _ := bits64Mul(s.rng.Uint64(), uint64(partitions))
		return int(hi)
	}
	hi, _ := bits64Mul(s.rng.Uint64(), uint64(partitions-1))
	p := int(hi)
	if p >= s.cur {
		p++
	}
	return p
}

type jumpPartitioner struct{ rr roundRobin }

func (j *jumpPartitioner) Partition(key []byte, partitions int) int {
	if len(key) == 0 {
		return j.rr.Partition(nil, partitions)
	}
	return JumpPartition(key, partitions)
}

// bits64Mul returns the high and low words of a*b; hi is a uniform value in
// [0, b) when a is uniform over uint64 (Lemire's multiply-shift).
func bits64Mul(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }
