package keying

import (
	"encoding/binary"
	"math/bits"
)

// Murmur2 is the 32-bit MurmurHash2 variant of the Java client
// (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c), which the
// Java DefaultPartitioner/BuiltInPartitioner and librdkafka's murmur2
// partitioners place keys with. Java returns it as a signed int; compare
// int32(Murmur2(b)) with Java figures.
func Murmur2(data []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	h := uint32(seed) ^ uint32(len(data))
	b := data
	for len(b) >= 4 {
		k := binary.LittleEndian.Uint32(b)
		k *= m
		k ^= k >> r
		k *= m
		h = h*m ^ k
		b = b[4:]
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// FNV1a32 is the 32-bit FNV-1a hash (hash/fnv New32a) without the
// hash.Hash32 allocation.
func FNV1a32(data []byte) uint32 {
	const (
		offset = 2166136261
		prime  = 16777619
	)
	h := uint32(offset)
	for _, c := range data {
		h ^= uint32(c)
		h *= prime
	}
	return h
}

// FNV1a64 is the 64-bit FNV-1a hash (hash/fnv New64a) without allocation.
func FNV1a64(data []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, c := range data {
		h ^= uint64(c)
		h *= prime
	}
	return h
}

// JumpHash is Lamping and Veach's jump consistent hash ("A Fast, Minimal
// Memory, Consistent Hash Algorithm", 2014): it maps key to a bucket in
// [0, buckets) such that growing buckets from n to n+1 moves only 1/(n+1)
// of the keys, all to the new bucket.
func JumpHash(key uint64, buckets int) int {
	if buckets <= 0 {
		return 0
	}
	var b, j int64 = -1, 0
	for j < int64(buckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

// Multipliers of the 64-bit hash below (the well-known xxHash64 primes).
const (
	p64a = 0x9E3779B185EBCA87
	p64b = 0xC2B2AE3D27D4EB4F
	p64c = 0x165667B19E3779F9
)

// hash64 is kbench's internal 64-bit key hash for sketches and sets: fast on
// short keys, fully mixed, and deterministic across processes (unlike
// hash/maphash), so every estimate is reproducible from a seed.
func hash64(b []byte) uint64 {
	h := uint64(len(b))*p64a + p64c
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b) * p64b
		h ^= bits.RotateLeft64(v, 31) * p64a
		h = bits.RotateLeft64(h, 27)*p64a + p64c
		b = b[8:]
	}
	if len(b) > 0 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		v *= p64c
		h ^= bits.RotateLeft64(v, 23) * p64b
		h = bits.RotateLeft64(h, 11) * p64a
	}
	return fmix64(h)
}

// fmix64 is a 64-bit finaliser (MurmurHash3's): every input bit affects
// every output bit.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// splitmix64 advances a SplitMix64 state and returns the next value; used to
// derive independent seeds.
func splitmix64(x *uint64) uint64 {
	*x += 0x9E3779B97F4A7C15
	z := *x
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// DeriveSeed mixes a base seed with stream numbers into an independent
// 64-bit seed (SplitMix64), e.g. DeriveSeed(expSeed, producer).
func DeriveSeed(seed int64, streams ...uint64) uint64 {
	x := uint64(seed)
	v := splitmix64(&x)
	for _, s := range streams {
		x ^= s*0xD6E8FEB86659FD93 + v
		v = splitmix64(&x)
	}
	return v
}
