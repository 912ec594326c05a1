package keying

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	kafka "github.com/segmentio/kafka-go"
)

// The Java client's own vectors: org.apache.kafka.common.utils.UtilsTest
// testMurmur2, as signed ints; the empty key and the librdkafka rdmurmur2.c
// unit-test vectors ("kafka" = 0xd067cf64, ...) on top.
func TestMurmur2JavaVectors(t *testing.T) {
	cases := []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
		{"", 275646681},
		{"kafka", int32(-798503068)},       // 0xd067cf64
		{"giberish123456789", -1890243828}, // 0x8f552b0c
		{"1234", -1614185708},              // 0x9fc97b14
		{"234", -406844982},                // 0xe7c009ca
		{"34", -2026295078},                // 0x873930da
	}
	for _, c := range cases {
		if got := int32(Murmur2([]byte(c.in))); got != c.want {
			t.Errorf("murmur2(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	// Java's partition: toPositive(murmur2) % P.
	javaHash := int32(-790332482)
	if got, want := Murmur2Partition([]byte("foobar"), 50), int((javaHash&0x7fffffff)%50); got != want {
		t.Errorf("murmur2 partition(foobar, 50) = %d, want %d", got, want)
	}
}

// murmur2 placement equals kafka-go's Murmur2Balancer (itself a port of the
// Java client) key by key.
func TestMurmur2MatchesKafkaGo(t *testing.T) {
	part, _ := NewPartitioner(PartitionerMurmur2, PartitionerOptions{})
	for _, p := range []int{1, 3, 6, 12, 64} {
		parts := seq(p)
		for i := range 5000 {
			key := testKey(i)
			want := kafka.Murmur2Balancer{}.Balance(kafka.Message{Key: key}, parts...)
			if got := part.Partition(key, p); got != want {
				t.Fatalf("murmur2(%q, %d) = %d, kafka-go says %d", key, p, got, want)
			}
		}
	}
}

// fnv1a equals kafka-go's Hash balancer (Sarama's hash partitioner), key by
// key, including the negative-hash handling.
func TestFNV1aMatchesKafkaGoHash(t *testing.T) {
	part, _ := NewPartitioner(PartitionerFNV1a, PartitionerOptions{})
	negatives := 0
	for _, p := range []int{1, 2, 3, 6, 7, 12, 100} {
		parts := seq(p)
		h := &kafka.Hash{}
		for i := range 20000 {
			key := testKey(i)
			if int32(FNV1a32(key)) < 0 {
				negatives++
			}
			want := h.Balance(kafka.Message{Key: key}, parts...)
			if got := part.Partition(key, p); got != want {
				t.Fatalf("fnv1a(%q, %d) = %d, kafka-go Hash says %d", key, p, got, want)
			}
		}
	}
	if negatives == 0 {
		t.Fatal("no key exercised the negative int32 branch")
	}
}

// crc32 is librdkafka's consistent_random: zlib crc32 of the key mod P.
// Expected values computed independently (Python zlib.crc32).
func TestCRC32Vectors(t *testing.T) {
	cases := []struct {
		key       string
		crc       uint32
		p6, p12   int
		p7        int
		keyedOnly bool
	}{
		{"123456789", 0xcbf43926, 2, 2, 5, true},
		{"order", 0xf5299398, 0, 0, 3, true},
		{"payment-service", 0x16a102d5, 5, 5, 5, true},
		{"kafka", 0x5bbc7517, 5, 11, 6, true},
		{"foobar", 0x9ef61f95, 5, 5, 6, true},
		{"user|42", 0x1078fcf4, 2, 8, 3, true},
	}
	part, _ := NewPartitioner(PartitionerCRC32, PartitionerOptions{})
	for _, c := range cases {
		for _, pc := range []struct{ p, want int }{{6, c.p6}, {12, c.p12}, {7, c.p7}} {
			if got := part.Partition([]byte(c.key), pc.p); got != pc.want {
				t.Errorf("crc32(%q) %% %d = %d, want %d", c.key, pc.p, got, pc.want)
			}
		}
	}
	// and kafka-go's CRC32Balancer, documented as librdkafka-compatible
	for i := range 5000 {
		key := testKey(i)
		want := kafka.CRC32Balancer{}.Balance(kafka.Message{Key: key}, seq(12)...)
		if got := part.Partition(key, 12); got != want {
			t.Fatalf("crc32(%q, 12) = %d, kafka-go CRC32Balancer says %d", key, got, want)
		}
	}
}

func TestKeylessBehaviour(t *testing.T) {
	const p = 5
	// round-robin and fnv1a keyless: 0,1,2,...
	for _, name := range []string{PartitionerRoundRobin, PartitionerFNV1a, PartitionerJump} {
		part, _ := NewPartitioner(name, PartitionerOptions{Seed: 9})
		for i := range 12 {
			if got := part.Partition(nil, p); got != i%p {
				t.Fatalf("%s keyless #%d = %d, want %d", name, i, got, i%p)
			}
		}
	}
	// murmur2 keyless: round robin from a seeded start, so every partition
	// gets exactly its share.
	mm, _ := NewPartitioner(PartitionerMurmur2, PartitionerOptions{Seed: 3})
	first := mm.Partition(nil, p)
	for i := 1; i < 20; i++ {
		if got := mm.Partition(nil, p); got != (first+i)%p {
			t.Fatalf("murmur2 keyless not round-robin: #%d = %d", i, got)
		}
	}
	// crc32 keyless: random, roughly uniform, deterministic per seed.
	a, _ := NewPartitioner(PartitionerCRC32, PartitionerOptions{Seed: 4})
	b, _ := NewPartitioner(PartitionerCRC32, PartitionerOptions{Seed: 4})
	counts := make([]int, p)
	for range 50000 {
		x, y := a.Partition(nil, p), b.Partition([]byte{}, p)
		if x != y {
			t.Fatal("crc32 keyless not deterministic per seed")
		}
		counts[x]++
	}
	for i, c := range counts {
		if c < 9000 || c > 11000 {
			t.Fatalf("crc32 keyless partition %d got %d of 50000", i, c)
		}
	}
}

func TestStickyKeyless(t *testing.T) {
	const p, batch = 6, 100
	s, _ := NewPartitioner(PartitionerSticky, PartitionerOptions{BatchSize: batch, Seed: 1})
	prev := -1
	seen := map[int]bool{}
	for b := range 60 {
		cur := s.Partition(nil, p)
		if cur == prev {
			t.Fatalf("batch %d stayed on partition %d", b, cur)
		}
		for range batch - 1 {
			if got := s.Partition(nil, p); got != cur {
				t.Fatalf("batch %d switched early: %d -> %d", b, cur, got)
			}
		}
		seen[cur] = true
		prev = cur
	}
	if len(seen) != p {
		t.Fatalf("sticky visited %d of %d partitions", len(seen), p)
	}
	// keyed: murmur2
	for i := range 1000 {
		k := testKey(i)
		if s.Partition(k, p) != Murmur2Partition(k, p) {
			t.Fatal("sticky keyed differs from murmur2")
		}
	}
}

func TestPartitionersInRangeAndNames(t *testing.T) {
	for _, name := range Names() {
		part, err := NewPartitioner(name, PartitionerOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []int{1, 2, 7, 64, 65, 1000} {
			for i := range 300 {
				var k []byte
				if i%3 != 0 {
					k = testKey(i)
				}
				if got := part.Partition(k, p); got < 0 || got >= p {
					t.Fatalf("%s(%q, %d) = %d out of range", name, k, p, got)
				}
			}
		}
	}
	if _, err := NewPartitioner("modulo", PartitionerOptions{}); err == nil {
		t.Fatal("unknown partitioner accepted")
	}
}

func TestJumpHashProperties(t *testing.T) {
	// Jump's defining property: growing n -> n+1 moves a key only to the
	// new bucket.
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		k := r.Uint64()
		prev := JumpHash(k, 1)
		if prev != 0 {
			t.Fatal("one bucket must be 0")
		}
		for n := 2; n <= 40; n++ {
			b := JumpHash(k, n)
			if b != prev && b != n-1 {
				t.Fatalf("key %x moved %d -> %d when growing to %d", k, prev, b, n)
			}
			prev = b
		}
	}
}

// Property test: growing P -> P' jump moves about 1-P/P' of the keys; the
// modulo placement of murmur2 moves far more.
func TestRemapJumpVersusModulo(t *testing.T) {
	keys := make([]WeightedKey, 20000)
	for i := range keys {
		keys[i] = WeightedKey{Key: testKey(i), Weight: int64(1 + i%7)}
	}
	jump, _ := NewPartitioner(PartitionerJump, PartitionerOptions{})
	mm, _ := NewPartitioner(PartitionerMurmur2, PartitionerOptions{})
	crc, _ := NewPartitioner(PartitionerCRC32, PartitionerOptions{})
	for _, g := range []struct{ p, p2 int }{{6, 8}, {6, 12}, {12, 16}, {10, 11}, {3, 30}} {
		ideal := 1 - float64(g.p)/float64(g.p2)
		j := RemapShare(keys, g.p, g.p2, jump)
		if math.Abs(j.Keys-ideal) > 0.02 || math.Abs(j.Traffic-ideal) > 0.03 {
			t.Errorf("jump %d->%d moved keys %.3f traffic %.3f, want ~%.3f", g.p, g.p2, j.Keys, j.Traffic, ideal)
		}
		m := RemapShare(keys, g.p, g.p2, mm)
		c := RemapShare(keys, g.p, g.p2, crc)
		// modulo keeps a key only when h%p == h%p2: share kept ~ gcd-driven,
		// e.g. 6->12 keeps 1/2, 12->16 keeps 1/4, 10->11 keeps 1/11.
		for _, x := range []Remap{m, c} {
			if x.Keys < ideal+0.1 && g.p2%g.p != 0 {
				t.Errorf("modulo %d->%d moved only %.3f (jump %.3f)", g.p, g.p2, x.Keys, j.Keys)
			}
			if x.Keys < j.Keys-0.02 {
				t.Errorf("modulo %d->%d moved %.3f < jump %.3f", g.p, g.p2, x.Keys, j.Keys)
			}
		}
	}
	// 10 -> 11: jump moves ~9%, modulo ~91%.
	j := RemapShare(keys, 10, 11, jump)
	m := RemapShare(keys, 10, 11, mm)
	if m.Keys < 0.85 || j.Keys > 0.12 {
		t.Errorf("10->11: modulo %.3f, jump %.3f", m.Keys, j.Keys)
	}
}

func TestRemapShareHand(t *testing.T) {
	// A partitioner that moves exactly the keys starting with 'm'.
	part := PartitionerFunc(func(key []byte, p int) int {
		if key[0] == 'm' && p == 4 {
			return 3
		}
		return 0
	})
	keys := []WeightedKey{{[]byte("a"), 6}, {[]byte("m1"), 3}, {[]byte("b"), 1}, {nil, 100}}
	r := RemapShare(keys, 2, 4, part)
	if r.Keys != 1.0/3 || r.Traffic != 0.3 {
		t.Fatalf("got %+v, want keys 1/3 traffic 0.3", r)
	}
}

func TestJumpBalance(t *testing.T) {
	const p = 12
	part, _ := NewPartitioner(PartitionerJump, PartitionerOptions{})
	load := make([]int64, p)
	for i := range 120000 {
		load[part.Partition(testKey(i), p)]++
	}
	if s := ComputeSkew(load); s.MaxMean > 1.05 {
		t.Fatalf("jump placement unbalanced: %+v %v", s, load)
	}
}

func TestPartitionZeroAlloc(t *testing.T) {
	key := []byte("payment-service|payment-7f9c-2")
	for _, name := range Names() {
		part, _ := NewPartitioner(name, PartitionerOptions{Seed: 1})
		n := testing.AllocsPerRun(1000, func() {
			part.Partition(key, 12)
			part.Partition(nil, 12)
		})
		if n != 0 {
			t.Errorf("%s: %.1f allocs per call", name, n)
		}
	}
}

func BenchmarkPartition(b *testing.B) {
	key := []byte("payment-service|payment-7f9c-2")
	for _, name := range Names() {
		part, _ := NewPartitioner(name, PartitionerOptions{Seed: 1})
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				part.Partition(key, 12)
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// testKey returns varied keys: short, long, ASCII and binary.
func testKey(i int) []byte {
	switch i % 4 {
	case 0:
		return []byte(strconv.Itoa(i))
	case 1:
		return []byte(fmt.Sprintf("order-service|order-%x-%d", i*7919, i%5))
	case 2:
		return []byte(fmt.Sprintf("/payments/%d/refund", i))
	default:
		b := make([]byte, 1+i%37)
		for j := range b {
			b[j] = byte(i*31 + j*17)
		}
		return b
	}
}
