package keying

import (
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"

	"github.com/axiomhq/hyperloglog"
)

// Census bounds and defaults.
const (
	// CensusTopCapacity: Space-Saving counters behind a census's hot keys
	// (more than the Analyzer's: real key sets are long-tailed and the
	// salting what-if reads deeper into the list).
	CensusTopCapacity = 1024
	// censusHLLPrecision: 2^16 registers (64 KiB per sketch).
	censusHLLPrecision = 16
)

// DistinctStdError is the relative standard error of a Census's distinct
// key estimate (HyperLogLog with 2^16 registers: 1.04/sqrt(2^16) ≈ 0.41%).
// Below a few thousand keys the sketch's sparse form is close to exact.
var DistinctStdError = 1.04 / math.Sqrt(float64(int(1)<<censusHLLPrecision))

// CensusPartitioners are the partitioners a Census can place keys with by
// default: the keyed placements of the clients teams actually mix.
var CensusPartitioners = []string{PartitionerMurmur2, PartitionerCRC32, PartitionerFNV1a}

// Census analyses a stream of real keys, each with a count, in bounded
// memory: every key is placed as it is read under every partitioner and
// partition count, so per-partition loads are exact; distinct keys come
// from a HyperLogLog sketch and hot keys from a Space-Saving sketch. The
// first partition count is the topic's current one; the others are what-if
// counts, for which the census also measures what moves (remap share).
// Not safe for concurrent use.
type Census struct {
	parts    []censusPart
	counts   []int
	messages int64
	records  int64
	distinct *hyperloglog.Sketch
	top      spaceSaving
}

// censusPart is one partitioner's placements at every partition count.
type censusPart struct {
	name  string
	kind  placeKind
	load  [][]int64 // [count index][partition]
	rr    []uint64  // round-robin position per count index
	moved []int64   // traffic placed differently at counts[j] than counts[0]
	// movedKeys estimates the distinct keys that move (index j as moved).
	movedKeys []*hyperloglog.Sketch
}

// placeKind selects a keyed placement function.
type placeKind uint8

const (
	placeMurmur2 placeKind = iota
	placeCRC32
	placeFNV1a
	placeJump
	placeRoundRobin
)

// placeKinds maps partitioner names to their keyed placement. sticky places
// keyed records exactly as murmur2 (its stickiness is for keyless ones).
var placeKinds = map[string]placeKind{
	PartitionerMurmur2:    placeMurmur2,
	PartitionerSticky:     placeMurmur2,
	PartitionerCRC32:      placeCRC32,
	PartitionerFNV1a:      placeFNV1a,
	PartitionerJump:       placeJump,
	PartitionerRoundRobin: placeRoundRobin,
}

// keyHash is the partition-count-independent part of a placement.
func (k placeKind) keyHash(key []byte) uint64 {
	switch k {
	case placeMurmur2:
		return uint64(Murmur2(key) & 0x7fffffff)
	case placeCRC32:
		return uint64(crc32.ChecksumIEEE(key))
	case placeFNV1a:
		return uint64(FNV1a32(key))
	case placeJump:
		return FNV1a64(key)
	}
	return 0
}

// fromHash finishes a placement on partitions partitions.
func (k placeKind) fromHash(h uint64, partitions int) int {
	switch k {
	case placeFNV1a:
		p := int32(uint32(h)) % int32(partitions)
		if p < 0 {
			p = -p
		}
		return int(p)
	case placeJump:
		return JumpHash(h, partitions)
	}
	return int(h % uint64(partitions))
}

// place is the keyed placement of key; not for round-robin.
func (k placeKind) place(key []byte, partitions int) int {
	return k.fromHash(k.keyHash(key), partitions)
}

// NewCensus returns an empty census placing keys with partitioners (names
// of NewPartitioner; empty = CensusPartitioners) on each of partitions
// (the first is the current count; each >= 1). topCapacity <= 0 means
// CensusTopCapacity.
func NewCensus(partitioners []string, partitions []int, topCapacity int) (*Census, error) {
	if len(partitioners) == 0 {
		partitioners = CensusPartitioners
	}
	if len(partitions) == 0 {
		return nil, fmt.Errorf("census: no partition count")
	}
	for _, p := range partitions {
		if p < 1 {
			return nil, fmt.Errorf("census: partitions must be >= 1, got %d", p)
		}
	}
	if topCapacity <= 0 {
		topCapacity = CensusTopCapacity
	}
	c := &Census{
		counts:   slices.Clone(partitions),
		distinct: newCensusHLL(),
		top:      newSpaceSaving(topCapacity),
	}
	for _, name := range partitioners {
		kind, ok := placeKinds[name]
		if !ok {
			return nil, fmt.Errorf("census: unknown partitioner %q (want one of %s)", name, strings.Join(Names(), ", "))
		}
		cp := censusPart{name: name, kind: kind, rr: make([]uint64, len(partitions)), moved: make([]int64, len(partitions))}
		for _, p := range partitions {
			cp.load = append(cp.load, make([]int64, p))
			if kind != placeRoundRobin {
				cp.movedKeys = append(cp.movedKeys, newCensusHLL())
			}
		}
		c.parts = append(c.parts, cp)
	}
	return c, nil
}

func newCensusHLL() *hyperloglog.Sketch {
	sk, err := hyperloglog.NewSketch(censusHLLPrecision, true)
	if err != nil {
		panic(err) // the precision is a constant in range
	}
	return sk
}

// Add counts n (>= 1) messages with key (non-empty; keyless records are
// the caller's to count: they have no placement to explain or plan).
func (c *Census) Add(key []byte, n int64) {
	c.records++
	c.messages += n
	h := hash64(key)
	c.distinct.InsertHash(h)
	c.top.add(h, key, n)
	for i := range c.parts {
		cp := &c.parts[i]
		if cp.kind == placeRoundRobin {
			for j := range c.counts {
				addRoundRobin(cp.load[j], &cp.rr[j], n)
			}
			continue
		}
		kh := cp.kind.keyHash(key)
		home := cp.kind.fromHash(kh, c.counts[0])
		cp.load[0][home] += n
		for j := 1; j < len(c.counts); j++ {
			p := cp.kind.fromHash(kh, c.counts[j])
			cp.load[j][p] += n
			if p != home {
				cp.moved[j] += n
				cp.movedKeys[j].InsertHash(h)
			}
		}
	}
}

// addRoundRobin places n messages in turn from position *next.
func addRoundRobin(load []int64, next *uint64, n int64) {
	P := int64(len(load))
	if n == 1 {
		load[*next%uint64(P)]++
		*next++
		return
	}
	base, rem := n/P, n%P
	start := int64(*next % uint64(P))
	for i := range load {
		load[i] += base
		if (int64(i)-start+P)%P < rem {
			load[i]++
		}
	}
	*next += uint64(n)
}

// CensusResult is what a Census measured.
type CensusResult struct {
	// Records added and Messages they stand for (the sum of their counts).
	Records  int64 `json:"records"`
	Messages int64 `json:"messages"`
	// Distinct keys, a HyperLogLog estimate with DistinctStdError.
	Distinct int64 `json:"distinct"`
	// Hot: the keys that stand out of the Space-Saving sketch's error, by
	// guaranteed count (each occurred at least Count and at most
	// Count+Error times), hottest first; every such counter, for the
	// salting what-if (reports show the first TopN). HotExact when the
	// sketch never evicted: every count is then exact and HotError 0.
	Hot      []HotKey `json:"-"`
	HotExact bool     `json:"-"`
	// HotError: the most the sketch over-states any key's count.
	HotError int64 `json:"-"`
	// Partitions: the counts placed on; [0] is the current one.
	Partitions []int `json:"partitions"`
	// Placements per partitioner, each with one entry per partition count.
	Placements []CensusPlacement `json:"placements"`
}

// CensusPlacement is one partitioner's placement of the keys on one
// partition count.
type CensusPlacement struct {
	Partitioner string  `json:"partitioner"`
	Partitions  int     `json:"partitions"`
	Load        []int64 `json:"load"`
	// Keyed is false for round-robin: it ignores keys, so keys have no
	// home partition and ordering and remapping are not defined.
	Keyed bool `json:"keyed"`
	// Remap from the current count, set for the other counts of a keyed
	// placement: Traffic exact, Keys from a HyperLogLog of moved keys.
	Remap *Remap `json:"remap,omitempty"`
}

// Result summarises the census. It allocates; call it at the end.
func (c *Census) Result() CensusResult {
	r := CensusResult{
		Records:    c.records,
		Messages:   c.messages,
		Distinct:   int64(c.distinct.Estimate()),
		HotExact:   !c.top.evicted,
		Partitions: slices.Clone(c.counts),
	}
	r.Hot, r.HotError = c.top.hot(c.top.capacity(), c.messages)
	for _, cp := range c.parts {
		for j, p := range c.counts {
			pl := CensusPlacement{Partitioner: cp.name, Partitions: p, Load: slices.Clone(cp.load[j]), Keyed: cp.kind != placeRoundRobin}
			if j > 0 && pl.Keyed {
				rm := Remap{From: c.counts[0], To: p}
				if c.messages > 0 {
					rm.Traffic = float64(cp.moved[j]) / float64(c.messages)
				}
				if r.Distinct > 0 {
					rm.Keys = min(1, float64(cp.movedKeys[j].Estimate())/float64(r.Distinct))
				}
				pl.Remap = &rm
			}
			r.Placements = append(r.Placements, pl)
		}
	}
	return r
}
